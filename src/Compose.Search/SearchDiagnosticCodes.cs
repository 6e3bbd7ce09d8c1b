namespace Compose.Search;

/// <summary>Diagnostic codes of search-space files and studies (CMP850–CMP899).</summary>
public static class SearchDiagnosticCodes
{
    public const string SpaceUnreadable = "CMP850";
    public const string SpaceBadValue = "CMP851";
    public const string SpaceUnknownKey = "CMP852";
    public const string SpaceEmpty = "CMP853";
    public const string StudyMismatch = "CMP860";
    public const string StudyUnreadable = "CMP861";
}
