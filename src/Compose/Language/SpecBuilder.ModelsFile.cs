using System.Collections.Immutable;

namespace Compose.Language;

internal sealed partial class SpecBuilder
{
    /// <summary>Reads a model bindings file: a mapping with one key, <c>models:</c>, in the pipeline syntax.</summary>
    public ImmutableArray<ModelSpec> BuildModelsFile(YNode? root)
    {
        if (root is not YMapping top)
        {
            Error(DiagnosticCodes.WrongType, root?.Location ?? new SourceLocation(file, 1, 1),
                "a models file must be a mapping with the key 'models:'", "write 'models:' followed by named models, as in a pipeline file");
            return [];
        }

        var fields = Fields(top, ["models"], "a models file");
        if (!fields.TryGetValue("models", out var models))
        {
            Error(DiagnosticCodes.MissingKey, top.Location, "missing 'models:'", "write 'models:' followed by named models, as in a pipeline file");
            return [];
        }

        return ReadModels(models.Value);
    }
}
