using System.Text.Json;
using Compose.Runtime;

namespace Compose.Tests.Runtime;

/// <summary>The JSONL trace is written by a background writer: every event, each a whole line, none lost on dispose.</summary>
public sealed class TraceSinkTests
{
    [Fact]
    public async Task Events_written_from_many_threads_all_arrive_as_whole_lines()
    {
        using var text = new StringWriter();
        using (var sink = new JsonlTraceSink(text, ownsWriter: false))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            {
                for (var i = 0; i < 2_000; i++)
                {
                    sink.Write(new RunStarted("p", $"question {t}-{i}", i) { QuestionId = $"q{t}" });
                }
            })));
        }

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16_000, lines.Length);
        var questions = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("question").GetString()).ToHashSet();
        Assert.Equal(16_000, questions.Count);
        Assert.Contains("question 7-1999", questions);
    }

    [Fact]
    public void Flush_writes_what_is_queued_and_a_write_after_dispose_is_dropped_quietly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"compose-trace-{Guid.NewGuid():N}.jsonl");
        try
        {
            var sink = JsonlTraceSink.Create(path);
            sink.Write(new RunStarted("p", "one", 1) { QuestionId = "q" });
            sink.Flush();
            using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
            {
                Assert.Contains("\"question\":\"one\"", reader.ReadToEnd(), StringComparison.Ordinal);
            }

            sink.Dispose();
            sink.Write(new RunStarted("p", "late", 1) { QuestionId = "q" });
            sink.Dispose();
            Assert.Single(File.ReadAllLines(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
