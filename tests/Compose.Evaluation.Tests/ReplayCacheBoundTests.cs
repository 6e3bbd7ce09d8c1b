using Compose.Evaluation.Replay;

namespace Compose.Evaluation.Tests;

/// <summary>Loaded recordings are bounded: a changed file replaces its older version, and only the most recent stay.</summary>
public sealed class ReplayCacheBoundTests
{
    [Fact]
    public void A_changed_file_replaces_its_older_version_and_at_most_MaxLoaded_stay_loaded()
    {
        var folder = Directory.CreateTempSubdirectory("compose-replay-");
        try
        {
            var path = Path.Combine(folder.FullName, "r.jsonl");
            File.WriteAllText(path, "{\"question\": \"q\", \"model\": \"m\", \"samples\": [\"one\"]}\n");
            File.SetLastWriteTimeUtc(path, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            Assert.Equal("one", Assert.Single(ReplayRecordings.Load(path, "m").Find("q")));

            File.WriteAllText(path, "{\"question\": \"q\", \"model\": \"m\", \"samples\": [\"two\"]}\n");
            File.SetLastWriteTimeUtc(path, new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc));
            Assert.Equal("two", Assert.Single(ReplayRecordings.Load(path, "m").Find("q")));
            Assert.Equal(1, ReplayRecordings.LoadedVersions(path));

            for (var i = 0; i < ReplayRecordings.MaxLoaded + 8; i++)
            {
                var other = Path.Combine(folder.FullName, $"r{i}.jsonl");
                File.WriteAllText(other, "{\"question\": \"q\", \"model\": \"m\", \"samples\": [\"x\"]}\n");
                ReplayRecordings.Load(other, "m");
            }

            Assert.True(ReplayRecordings.LoadedCount <= ReplayRecordings.MaxLoaded, $"{ReplayRecordings.LoadedCount} loaded");
            Assert.Equal(0, ReplayRecordings.LoadedVersions(path));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
