namespace Compose.Cli;

/// <summary>The documented exit codes of <c>compose</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The run failed: a model error, no answer, or verification failed with on_none: fail.</summary>
    public const int RunFailed = 1;

    /// <summary>Bad input: an invalid pipeline file, unknown command or option, a missing input.</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
