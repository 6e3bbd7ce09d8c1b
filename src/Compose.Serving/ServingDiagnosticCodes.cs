namespace Compose.Serving;

/// <summary>Diagnostics of <c>compose serve</c> (documented in docs/diagnostics.md).</summary>
public static class ServingDiagnosticCodes
{
    /// <summary>Two served pipelines have the same name (the model id clients ask for).</summary>
    public const string DuplicateModel = "CMP920";

    /// <summary><c>--api-key-env NAME</c> names a variable that is unset or empty.</summary>
    public const string ApiKeyMissing = "CMP921";

    /// <summary>A serving limit (concurrency, queue, body size) is out of range.</summary>
    public const string BadLimit = "CMP922";
}
