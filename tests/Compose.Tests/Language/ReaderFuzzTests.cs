using System.Text;
using Compose.Compilation;
using Compose.Language;

namespace Compose.Tests.Language;

/// <summary>Seeded random mutations of valid files: reading and compiling must never throw nor hit an internal error.</summary>
public sealed class ReaderFuzzTests
{
    private const string Noise = ":{}[]-#&*!|>'\",?%@`\t 0123456789abcxyz\\\n";

    [Fact]
    public void Mutated_pipelines_never_throw()
    {
        var seeds = Directory.GetFiles(TestFiles.Output("Valid"), "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        seeds.AddRange(Directory.GetFiles(TestFiles.Output("Broken"), "*.yaml").Order(StringComparer.Ordinal).Take(10).Select(File.ReadAllText));
        var random = new Random(20261123);
        var path = Path.Combine(TestFiles.Output("Valid"), "fuzz.yaml");
        var codes = new HashSet<string>();

        for (var i = 0; i < 2500; i++)
        {
            var text = seeds[random.Next(seeds.Count)];
            var mutations = 1 + random.Next(4);
            for (var m = 0; m < mutations; m++)
            {
                text = Mutate(text, random);
            }

            var read = PipelineReader.Read(text, path);
            var loaded = PipelineCompiler.CompileText(text, path, FakeProvider.Catalog);
            if (loaded.Graph is { } graph)
            {
                _ = GraphRenderer.Text(graph) + GraphRenderer.Mermaid(graph) + GraphRenderer.Dot(graph);
            }

            var internalError = read.Diagnostics.Concat(loaded.Diagnostics).FirstOrDefault(d => d.Code == DiagnosticCodes.InternalError);
            Assert.True(internalError is null, $"iteration {i}: {internalError}\n--- input ---\n{text}");
            codes.UnionWith(loaded.Diagnostics.Select(d => d.Code));
        }

        Assert.True(codes.Count >= 15, $"the mutations reached only {string.Join(", ", codes)}");
    }

    private static string Mutate(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count == 0)
        {
            return text;
        }

        var at = random.Next(lines.Count);
        switch (random.Next(9))
        {
            case 0:
                lines.RemoveAt(at);
                break;
            case 1:
                lines.Insert(at, lines[at]);
                break;
            case 2:
                var other = random.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            case 3:
                lines[at] = ReplaceChar(lines[at], random);
                break;
            case 4:
                lines[at] = ReplaceNumber(lines[at], random);
                break;
            case 5:
                lines[at] = random.Next(2) == 0 ? "  " + lines[at] : lines[at].TrimStart(' ').PadLeft(Math.Max(0, lines[at].Length - 2 - lines[at].TrimStart(' ').Length) + lines[at].TrimStart(' ').Length);
                break;
            case 6:
                lines[at] = lines[at].Insert(random.Next(lines[at].Length + 1), Noise[random.Next(Noise.Length)].ToString());
                break;
            case 7:
                lines[at] = lines[at].Length == 0 ? lines[at] : lines[at].Remove(random.Next(lines[at].Length), 1);
                break;
            default:
                string[] words = ["generate", "rank", "vote", "model", "models", "samples", "check", "until", "keep", "default", "*a", "&a", "<<", "null", "~", "true", "-1", "1e9", "99999999999999999999"];
                lines[at] = lines[at].Insert(random.Next(lines[at].Length + 1), words[random.Next(words.Length)]);
                break;
        }

        return string.Join('\n', lines);
    }

    private static string ReplaceChar(string line, Random random)
    {
        if (line.Length == 0)
        {
            return line;
        }

        var builder = new StringBuilder(line);
        builder[random.Next(line.Length)] = Noise[random.Next(Noise.Length)];
        return builder.ToString();
    }

    private static string ReplaceNumber(string line, Random random)
    {
        var digits = Enumerable.Range(0, line.Length).Where(i => char.IsDigit(line[i])).ToList();
        if (digits.Count == 0)
        {
            return line;
        }

        string[] numbers = ["0", "-1", "1", "2", "1000001", "2147483648", "9223372036854775808", "0.5", "1e400", "NaN", ".inf", "007"];
        var start = digits[random.Next(digits.Count)];
        var end = start;
        while (end < line.Length && (char.IsDigit(line[end]) || line[end] == '.'))
        {
            end++;
        }

        return line[..start] + numbers[random.Next(numbers.Length)] + line[end..];
    }
}
