namespace Compose.Language;

/// <summary>
/// Every stable diagnostic code of the language phases (read, check, compile). Each is documented in
/// <c>docs/diagnostics.md</c>; a test keeps the two in step. Codes are never reused or renumbered.
/// </summary>
public static class DiagnosticCodes
{
    // CMP1xx: the file and its YAML.

    /// <summary>An unexpected failure inside the reader or compiler (a bug in Compose, not in the file).</summary>
    public const string InternalError = "CMP100";

    /// <summary>The pipeline file does not exist or cannot be read.</summary>
    public const string FileUnreadable = Compose.IO.FileErrorCodes.FileUnreadable;

    /// <summary>The text is not valid YAML.</summary>
    public const string YamlSyntax = "CMP102";

    /// <summary>The file contains no YAML document.</summary>
    public const string EmptyFile = "CMP103";

    /// <summary>The file contains more than one YAML document.</summary>
    public const string MultipleDocuments = "CMP104";

    /// <summary>An alias (<c>*name</c>) refers to an anchor that is not defined before it.</summary>
    public const string UnknownAnchor = "CMP105";

    /// <summary>The YAML nests deeper than the reader accepts.</summary>
    public const string NestingTooDeep = "CMP106";

    /// <summary>A path names a folder, a pipe, a device or a socket where a regular file is expected.</summary>
    public const string NotARegularFile = Compose.IO.FileErrorCodes.NotARegularFile;

    /// <summary>A file is larger than its size limit (<c>--max-file-bytes</c>, <c>--max-data-bytes</c>).</summary>
    public const string FileTooLarge = Compose.IO.FileErrorCodes.FileTooLarge;

    /// <summary>A file named inside a pipeline, models file or search space resolves outside the allowed folders.</summary>
    public const string PathOutsideAllowed = Compose.IO.FileErrorCodes.PathOutsideAllowed;

    /// <summary>Reading a file took longer than its time bound.</summary>
    public const string ReadTimedOut = Compose.IO.FileErrorCodes.ReadTimedOut;

    // CMP2xx: structure, keys, types and ranges.

    /// <summary>A value has the wrong type (a string where a number is expected, a list where a mapping is expected...).</summary>
    public const string WrongType = "CMP201";

    /// <summary>A key appears twice in the same mapping.</summary>
    public const string DuplicateKey = "CMP202";

    /// <summary>A key is not known at its position.</summary>
    public const string UnknownKey = "CMP203";

    /// <summary>A required key is missing.</summary>
    public const string MissingKey = "CMP204";

    /// <summary>A number is outside its allowed range.</summary>
    public const string OutOfRange = "CMP205";

    /// <summary>The <c>compose:</c> version is not one this reader knows.</summary>
    public const string UnknownVersion = "CMP206";

    /// <summary>A value is not one of the allowed words.</summary>
    public const string InvalidEnumValue = "CMP207";

    /// <summary>A model name or technique id does not have the allowed shape.</summary>
    public const string InvalidName = "CMP208";

    /// <summary>A mapping key is not a plain scalar (a list or mapping used as key).</summary>
    public const string InvalidKey = "CMP209";

    /// <summary><c>layers:</c> is empty, or a side-by-side layer lists no technique.</summary>
    public const string EmptyLayer = "CMP210";

    /// <summary>A layer names a technique that does not exist.</summary>
    public const string UnknownTechnique = "CMP211";

    /// <summary>A layer mapping has more than one key (options at the wrong indentation, or techniques that should be a list).</summary>
    public const string LayerShape = "CMP212";

    // CMP3xx: models and providers.

    /// <summary>A model names a provider the host does not offer.</summary>
    public const string UnknownProvider = "CMP301";

    /// <summary>A technique, <c>defaults.model</c> or a price names a model that <c>models:</c> does not define.</summary>
    public const string UndefinedModel = "CMP302";

    /// <summary>A technique names no model and there is no default model.</summary>
    public const string NoDefaultModel = "CMP303";

    /// <summary>A provider failed while checking its options (a bug in the provider).</summary>
    public const string ProviderCheckFailed = "CMP304";

    // CMP4xx: technique options.

    /// <summary>Two options that exclude each other are both given.</summary>
    public const string ConflictingOptions = "CMP401";

    /// <summary>An option the technique needs is missing.</summary>
    public const string MissingOption = "CMP402";

    /// <summary>A regular expression does not compile.</summary>
    public const string InvalidRegex = "CMP403";

    /// <summary>An answer-extraction regular expression has no capture group.</summary>
    public const string RegexNeedsGroup = "CMP404";

    /// <summary>A prompt override names a template the technique does not have.</summary>
    public const string UnknownTemplate = "CMP405";

    /// <summary>A prompt file does not exist relative to the pipeline file.</summary>
    public const string PromptFileNotFound = "CMP406";

    /// <summary>A <c>check:</c> is not one of the known program checks.</summary>
    public const string InvalidCheck = "CMP407";

    /// <summary>An option is given but has no effect (warning).</summary>
    public const string UnusedOption = "CMP408";

    /// <summary>A technique's own code failed while reading its options (a bug in the technique).</summary>
    public const string TechniqueFailed = "CMP409";

    /// <summary>A <c>json_schema</c> option is not valid JSON.</summary>
    public const string InvalidJsonSchema = "CMP410";

    // CMP5xx: composition of layers.

    /// <summary>Layer 1 contains a technique other than generate.</summary>
    public const string FirstLayerNotGenerate = "CMP501";

    /// <summary>A technique that compares candidates (rank, fuse, vote) gets at most one.</summary>
    public const string NeedsSeveralCandidates = "CMP502";

    /// <summary>rank keeps at least as many candidates as it can get (warning).</summary>
    public const string RankKeepsEverything = "CMP503";

    /// <summary><c>use_critiques: true</c> without a critique layer after the last layer that made new candidates.</summary>
    public const string CritiquesUnavailable = "CMP504";

    /// <summary><c>output: vote</c> or <c>output: best_logprob</c> over at most one final candidate (warning).</summary>
    public const string VoteOverSingleCandidate = "CMP505";

    /// <summary>Two nodes have the same id.</summary>
    public const string DuplicateNodeId = "CMP506";

    /// <summary>A technique needs something (log-probabilities, continuation, constrained output) a model it calls does not offer.</summary>
    public const string ModelLacksCapability = "CMP507";

    // CMP6xx: budget and cost.

    /// <summary>The static bound on calls per question exceeds <c>budget.max_calls</c>.</summary>
    public const string CallBudgetExceeded = "CMP601";

    /// <summary>The static bound on tokens per question exceeds <c>budget.max_tokens</c> (warning).</summary>
    public const string TokenBudgetExceeded = "CMP602";

    /// <summary><c>budget.max_cost</c> is set but a called model has no price.</summary>
    public const string MissingPrice = "CMP603";

    /// <summary>The static cost bound exceeds <c>budget.max_cost</c> (warning).</summary>
    public const string CostBudgetExceeded = "CMP604";

    /// <summary>A technique's prompt is longer than its model's context even with an empty question.</summary>
    public const string PromptExceedsContext = "CMP605";

    /// <summary>A technique's prompt may outgrow its model's context with the candidates it shows and its answer (warning).</summary>
    public const string PromptMayExceedContext = "CMP606";
}
