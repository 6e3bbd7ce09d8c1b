namespace Compose.Evaluation;

/// <summary>Diagnostic codes of benchmarks, scorers, the replay provider and evaluation runs (CMP800–CMP849).</summary>
public static class EvaluationDiagnosticCodes
{
    public const string BenchmarkUnreadable = "CMP800";
    public const string BenchmarkBadLine = "CMP801";
    public const string BenchmarkMissingField = "CMP802";
    public const string BenchmarkDuplicateId = "CMP803";
    public const string UnknownScorer = "CMP804";
    public const string ReplayBadOption = "CMP810";
    public const string ReplayUnreadable = "CMP811";
    public const string ReplayUnknownModel = "CMP812";
    public const string ResultsMismatch = "CMP820";
}
