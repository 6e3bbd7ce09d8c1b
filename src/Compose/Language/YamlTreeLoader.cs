using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Compose.Language;

/// <summary>
/// Builds the located <see cref="YNode"/> tree from YamlDotNet's parser events (the representation
/// model throws on duplicate keys, which the reader wants to report and go on). Iterative, depth-limited,
/// never throws on any text: syntax errors become one diagnostic at the parser's mark.
/// </summary>
internal static partial class YamlTreeLoader
{
    public const int MaxDepth = 64;

    private const string MergeKey = "<<";

    public static YNode? Load(string text, string file, List<Diagnostic> diagnostics)
    {
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
        var stack = new Stack<Frame>();
        YNode? root = null;
        var documents = 0;
        var last = new Mark();
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                var current = parser.Current;
                last = current?.End ?? last;
                switch (current)
                {
                    case DocumentStart start:
                        documents++;
                        if (documents > 1)
                        {
                            diagnostics.Add(Diagnostic.Error(
                                DiagnosticCodes.MultipleDocuments,
                                At(file, start.Start),
                                "the file contains more than one YAML document",
                                "a pipeline file holds one document; remove the '---' separator and what follows or split it into files"));
                            return root;
                        }

                        break;
                    case Scalar scalar:
                        {
                            var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any
                                && (scalar.Tag.IsEmpty || scalar.Tag.Value != "tag:yaml.org,2002:str");
                            Complete(new YScalar(scalar.Value, plain, At(file, scalar.Start)), scalar.Anchor, stack, anchors, ref root);
                            break;
                        }

                    case SequenceStart sequence:
                        stack.Push(new Frame(false, At(file, sequence.Start), sequence.Anchor));
                        if (stack.Count > MaxDepth)
                        {
                            diagnostics.Add(TooDeep(file, sequence.Start));
                            return null;
                        }

                        break;
                    case MappingStart mapping:
                        stack.Push(new Frame(true, At(file, mapping.Start), mapping.Anchor));
                        if (stack.Count > MaxDepth)
                        {
                            diagnostics.Add(TooDeep(file, mapping.Start));
                            return null;
                        }

                        break;
                    case SequenceEnd:
                        {
                            var frame = stack.Pop();
                            Complete(new YSequence([.. frame.Items], frame.Location), frame.Anchor, stack, anchors, ref root);
                            break;
                        }

                    case MappingEnd:
                        {
                            var frame = stack.Pop();
                            Complete(BuildMapping(frame), frame.Anchor, stack, anchors, ref root);
                            break;
                        }

                    case AnchorAlias alias:
                        {
                            var location = At(file, alias.Start);
                            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                            {
                                diagnostics.Add(Diagnostic.Error(
                                    DiagnosticCodes.UnknownAnchor,
                                    location,
                                    $"alias '*{alias.Value.Value}' refers to no anchor defined before it",
                                    $"define '&{alias.Value.Value}' on a value earlier in the file"));
                                target = new YScalar("", true, location);
                            }

                            Complete(target, AnchorName.Empty, stack, anchors, ref root);
                            break;
                        }
                }
            }
        }
        catch (YamlException exception)
        {
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.YamlSyntax,
                At(file, exception.Start),
                CleanMessage(exception),
                "fix the YAML syntax at this position (indentation, quotes, brackets, ':' after keys)"));
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner fails with these on some malformed input (e.g. an unclosed flow mapping
            // followed by a multi-line plain scalar); report where parsing stopped.
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.YamlSyntax,
                last.Line > 0 ? At(file, last) : new SourceLocation(file, 1, 1),
                "invalid YAML: the parser could not go on after this point",
                "look for an unclosed '{', '[' or quote, or a misplaced ':' near here"));
            return null;
        }

        return root;
    }

    public static SourceLocation At(string file, Mark mark) =>
        new(file, (int)Math.Clamp(mark.Line, 0, int.MaxValue), (int)Math.Clamp(mark.Column, 0, int.MaxValue));

    private static Diagnostic TooDeep(string file, Mark mark) =>
        Diagnostic.Error(
            DiagnosticCodes.NestingTooDeep,
            At(file, mark),
            $"the YAML nests deeper than {MaxDepth} levels",
            "a pipeline file never needs this depth; flatten the value");

    private static string CleanMessage(YamlException exception)
    {
        var message = MarkPrefix().Replace(exception.Message, "").Trim();
        if (exception.InnerException is not null && message.Length == 0)
        {
            message = exception.InnerException.Message;
        }

        return message.Length == 0 ? "invalid YAML" : $"invalid YAML: {message}";
    }

    private static void Complete(YNode node, AnchorName anchor, Stack<Frame> stack, Dictionary<string, YNode> anchors, ref YNode? root)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        if (stack.Count == 0)
        {
            root ??= node;
        }
        else
        {
            stack.Peek().Items.Add(node);
        }
    }

    private static YMapping BuildMapping(Frame frame)
    {
        var entries = ImmutableArray.CreateBuilder<YEntry>(frame.Items.Count / 2);
        List<YEntry>? merged = null;
        for (var i = 0; i + 1 < frame.Items.Count; i += 2)
        {
            var entry = new YEntry(frame.Items[i], frame.Items[i + 1]);
            if (entry.Key is YScalar { IsPlain: true, Value: MergeKey } && entry.Value is YMapping or YSequence)
            {
                merged ??= [];
                var sources = entry.Value is YMapping single ? [single] : ((YSequence)entry.Value).Items.OfType<YMapping>();
                foreach (var source in sources)
                {
                    merged.AddRange(source.Entries);
                }

                continue;
            }

            entries.Add(entry);
        }

        if (merged is not null)
        {
            var present = new HashSet<string>(entries.Select(e => e.Name).OfType<string>(), StringComparer.Ordinal);
            foreach (var entry in merged)
            {
                if (entry.Name is { } name && present.Add(name))
                {
                    entries.Add(entry);
                }
            }
        }

        return new YMapping(entries.ToImmutable(), frame.Location);
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex MarkPrefix();

    private sealed record Frame(bool IsMapping, SourceLocation Location, AnchorName Anchor)
    {
        public List<YNode> Items { get; } = [];
    }
}
