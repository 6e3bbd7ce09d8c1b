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

    /// <summary><c>--urls</c> is not a list of listen addresses (<c>http://HOST:PORT</c>, separated by ';').</summary>
    public const string BadUrls = "CMP923";

    /// <summary>The server could not listen on <c>--urls</c> (port in use, an address this machine lacks, no permission).</summary>
    public const string CannotListen = "CMP924";
}
