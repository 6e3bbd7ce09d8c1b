namespace Compose.Import;

/// <summary>Diagnostic codes of <c>compose import archon</c> (CMP940–CMP949), documented in docs/diagnostics.md.</summary>
public static class ArchonDiagnosticCodes
{
    /// <summary>The file is not valid JSON (Archon's <c>json.load</c> fails on it too).</summary>
    public const string InvalidJson = "CMP940";

    /// <summary>The JSON is not an Archon architecture: no <c>layers</c> list, a layer or component of the wrong shape.</summary>
    public const string NotAnArchitecture = "CMP941";

    /// <summary>A component's <c>type</c> is none of Archon's seven.</summary>
    public const string UnknownComponent = "CMP942";

    /// <summary>A key Archon does not know (a misspelling such as <c>length_contorl</c>): Archon ignores it silently (warning).</summary>
    public const string UnknownOption = "CMP943";

    /// <summary>An option Archon reads nowhere for this component, or overrides: it has no effect in Archon (warning).</summary>
    public const string IgnoredOption = "CMP944";

    /// <summary>A value of the wrong type or outside the range Compose accepts.</summary>
    public const string BadValue = "CMP945";

    /// <summary>A key Archon requires is missing (Archon stops with a KeyError).</summary>
    public const string MissingOption = "CMP946";

    /// <summary>Something Archon does that Compose does differently; the message says what the pipeline does instead (warning).</summary>
    public const string NotRepresentable = "CMP947";

    /// <summary>A <c>model_type</c> Archon has no generator for.</summary>
    public const string UnknownModelType = "CMP948";

    /// <summary>An architecture Archon itself cannot run, or one no Compose pipeline can express.</summary>
    public const string CannotImport = "CMP949";
}
