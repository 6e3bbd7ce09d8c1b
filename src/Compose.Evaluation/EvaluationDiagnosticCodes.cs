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
    public const string ScorerProgramNotFound = "CMP821";
    public const string ScorerProgramNotExecutable = "CMP822";
    public const string OutputUnusable = "CMP823";
    public const string OutputLocked = "CMP824";
    public const string ResultsUnreadable = "CMP825";
    public const string BadScorerLimit = "CMP826";
    public const string CacheUnreadable = "CMP827";
}
