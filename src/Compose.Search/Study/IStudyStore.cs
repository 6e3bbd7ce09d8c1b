using System.Collections.Immutable;
using Compose.Language;
using Compose.Search.Trials;

namespace Compose.Search.Study;

/// <summary>
/// Where a study lives: its settings, bound once and checked when it is resumed, and every trial, written as running
/// before it is evaluated and as done after (each write atomic), so a study killed at any moment loses nothing
/// finished. <see cref="StudyStore"/> keeps it in a SQLite file; a cluster keeps it in its Redis.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Where the study is, for messages: a file path, or a Redis key.</summary>
    string Path { get; }

    /// <summary>Records the study's settings, or checks them against the ones recorded (CMP860 when they differ).</summary>
    void Bind(IReadOnlyDictionary<string, string> settings);

    /// <summary>Writes the trial as running (attempts + 1 when it was started before).</summary>
    void Start(TrialRecord trial);

    /// <summary>Writes the trial's outcome; from then on it is never run again.</summary>
    void Finish(TrialRecord trial);

    /// <summary>Every trial in number order; CMP861 when the study cannot be read.</summary>
    ImmutableArray<TrialRecord> Trials();
}

/// <summary>What every study store checks the same way.</summary>
public static class StudyChecks
{
    /// <summary>The settings of <paramref name="settings"/> missing from or different in <paramref name="recorded"/>.</summary>
    public static List<string> Changed(IReadOnlyDictionary<string, string> recorded, IReadOnlyDictionary<string, string> settings) =>
        [.. settings.Where(s => !recorded.TryGetValue(s.Key, out var v) || v != s.Value).Select(s => s.Key)];

    /// <summary>CMP860: a resumed study given other settings than it was started with.</summary>
    public static DiagnosticException Mismatch(string location, IReadOnlyCollection<string> changed, string hint = "Run it with the settings it was started with, give --out another folder, or pass --fresh to start a new study there.") =>
        new([Diagnostic.Error(SearchDiagnosticCodes.StudyMismatch, new SourceLocation(location, 0, 0),
            $"the study was started with other settings ({string.Join(", ", changed)})", hint)]);
}
