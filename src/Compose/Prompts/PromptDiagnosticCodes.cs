namespace Compose.Prompts;

/// <summary>The codes of prompt template problems (also on <c>RuntimeDiagnosticCodes</c>, where they were first defined).</summary>
public static class PromptDiagnosticCodes
{
    /// <summary>A prompt template override does not parse.</summary>
    public const string TemplateSyntax = "CMP701";

    /// <summary>A prompt template file cannot be read.</summary>
    public const string TemplateFile = "CMP702";

    /// <summary>A prompt template took longer to render than its time limit.</summary>
    public const string TemplateTimedOut = "CMP707";
}
