using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>Each model produces <see cref="Samples"/> candidates.</summary>
public sealed record GenerateSpec(ImmutableArray<ModelRef> Models, int Samples, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "generate";

    /// <summary>A form every answer must take, enforced while decoding (<c>pattern</c> or <c>json_schema</c>); null for free text.</summary>
    public Compose.Models.OutputConstraint? Constraint { get; init; }
}

/// <summary><c>generate</c>: each model writes <c>samples</c> answers; in a later layer the previous candidates are shown as references.</summary>
public sealed class GenerateDefinition : TechniqueDefinition<GenerateSpec>
{
    internal static TechniqueTemplate Prompt { get; } = TechniqueTemplate.BuiltIn("generate", DirectPrompts.Generate);

    public override string Key => "generate";

    public override string Summary => "Each model writes 'samples' answers, side by side; after layer 1 the previous candidates are shown as references (Mixture-of-Agents).";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("models", "The models that answer, each 'samples' times."),
        new("model", "The one model that answers (or 'models')."),
        new("samples", "Answers per model, 1..1000 (default 1)."),
        new("pattern", "A regular expression every answer matches in full, enforced while decoding (the model must offer it: provider onnx with engine: genai)."),
        new("json_schema", "A JSON schema (its text) every answer is valid under, enforced while decoding (provider onnx with engine: genai)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [Prompt];

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override GenerateSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var models = ImmutableArray.CreateBuilder<ModelRef>();
        if (reader.Has("models"))
        {
            if (reader.Models("models", single: "model") is { } list)
            {
                models.AddRange(list);
            }

            if (reader.Has("model"))
            {
                var (single, many) = (reader.KeyLocation("model"), reader.KeyLocation("models"));
                var second = single.Line > many.Line || (single.Line == many.Line && single.Column > many.Column) ? single : many;
                reader.Error(DiagnosticCodes.ConflictingOptions, second, "generate takes 'model' or 'models', not both", "list every model under 'models'");
            }
        }
        else if (reader.Model("model") is { } model)
        {
            models.Add(model);
        }

        Compose.Models.OutputConstraint? constraint = null;
        if (reader.Has("pattern") && reader.Has("json_schema"))
        {
            reader.Error(DiagnosticCodes.ConflictingOptions, reader.KeyLocation("json_schema"), "generate takes 'pattern' or 'json_schema', not both", "keep the one the answers must follow");
        }
        else if (reader.Pattern("pattern", needsGroup: false) is { Length: > 0 } pattern)
        {
            constraint = Compose.Models.OutputConstraint.Regex(pattern);
        }
        else if (reader.Text("json_schema") is { } schema)
        {
            try
            {
                using var parsed = System.Text.Json.JsonDocument.Parse(schema);
                constraint = Compose.Models.OutputConstraint.Json(schema);
            }
            catch (System.Text.Json.JsonException e)
            {
                reader.Error(DiagnosticCodes.InvalidJsonSchema, reader.ValueLocation("json_schema"), $"json_schema is not valid JSON: {e.Message}", "give the schema as a JSON string, e.g. json_schema: '{\"type\": \"object\"}'");
            }
        }

        return new GenerateSpec(models.ToImmutable(), reader.Int("samples", 1, 1000) ?? 1, reader.Location) { Constraint = constraint };
    }

    public override TechniqueNeeds Needs(GenerateSpec spec) =>
        spec.Constraint is { } constraint ? new() { FromModels = constraint.Needs } : TechniqueNeeds.None;

    public override IEnumerable<ModelRef?> Models(GenerateSpec spec) => spec.Models.IsEmpty ? [null] : spec.Models.Cast<ModelRef?>();

    public override TechniqueBounds Bounds(GenerateSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        var perCall = input.Layer == 0 ? input.QuestionTokens : Add(input.QuestionTokens, Mul(flow.Count, Add(flow.CandidateTokens, flow.CritiqueTokens)));
        var calls = input.Models.IsEmpty
            ? [ModelCalls.Of(null, spec.Samples, perCall, input.MaxTokens)]
            : input.Models.Select(m => ModelCalls.Of(m, spec.Samples, perCall, input.MaxTokens)).ToImmutableArray();
        return new TechniqueBounds(calls, new CandidateFlow(Mul(Math.Max(input.Models.Length, 1), spec.Samples), input.MaxTokens, 0));
    }

    public override long CandidatesShownPerCall(GenerateSpec spec, long candidatesIn) => candidatesIn;

    public override ITechnique Create(GenerateSpec spec) => new Generate(spec);
}
