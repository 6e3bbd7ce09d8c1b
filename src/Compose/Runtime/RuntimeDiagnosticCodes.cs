using Compose.Prompts;

namespace Compose.Runtime;

/// <summary>Codes of problems found while building a runnable pipeline from a checked graph (documented in docs/diagnostics.md).</summary>
public static class RuntimeDiagnosticCodes
{
    /// <summary>A prompt template override does not parse.</summary>
    public const string TemplateSyntax = PromptDiagnosticCodes.TemplateSyntax;

    /// <summary>A prompt template file cannot be read.</summary>
    public const string TemplateFile = PromptDiagnosticCodes.TemplateFile;

    /// <summary>A model cannot be created (provider failure, missing environment variable, ...).</summary>
    public const string ModelCreation = "CMP703";

    /// <summary>A pipeline used as a model refers back to itself.</summary>
    public const string PipelineCycle = "CMP704";

    /// <summary>The input question is empty.</summary>
    public const string EmptyInput = "CMP705";

    /// <summary>A user regular expression timed out, or the question's regex time was spent (warning at run time).</summary>
    public const string RegexTimedOut = "CMP706";

    /// <summary>A step-level search stopped on the question's budget and answered with the best path so far (warning at run time).</summary>
    public const string SearchStoppedByBudget = "CMP708";

    /// <summary>A prompt template took longer to render than its time limit.</summary>
    public const string TemplateTimedOut = PromptDiagnosticCodes.TemplateTimedOut;
}
