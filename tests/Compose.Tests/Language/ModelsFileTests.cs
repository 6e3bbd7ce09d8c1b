using System.Text.Json.Nodes;
using Compose.Language;

namespace Compose.Tests.Language;

public sealed class ModelsFileTests
{
    [Fact]
    public void The_models_schema_uses_the_pipeline_schemas_model_definition()
    {
        var pipeline = JsonNode.Parse(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "schemas", "pipeline.schema.json")))!;
        var models = JsonNode.Parse(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "schemas", "models.schema.json")))!;
        Assert.True(JsonNode.DeepEquals(pipeline["$defs"]!["model"], models["$defs"]!["model"]));
        Assert.True(JsonNode.DeepEquals(pipeline["properties"]!["models"], models["properties"]!["models"]));
    }

    [Fact]
    public void Bindings_replace_models_of_the_same_name_and_add_new_ones()
    {
        var file = Path.Combine(Path.GetTempPath(), $"models-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, "models:\n  default: { provider: scripted, default: hi }\n  extra: { provider: scripted }\n");
        try
        {
            var (models, diagnostics) = ModelsFileReader.ReadFile(file);
            Assert.Empty(diagnostics);
            var spec = PipelineReader.Read("compose: 1\nname: x\nmodels:\n  default: { provider: openai, model: m }\n  keep: { provider: openai, model: k }\nlayers:\n  - generate: {}\n", "p.yaml").Spec!;
            var bound = ModelsFileReader.Bind(spec, models);
            Assert.Equal(["keep", "default", "extra"], bound.Models.Select(m => m.Name));
            Assert.Equal("scripted", bound.FindModel("default")!.Provider);
            Assert.Equal(new SourceLocation(file, 2, 3), bound.FindModel("default")!.Location);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_bad_models_file_gives_located_diagnostics()
    {
        var file = Path.Combine(Path.GetTempPath(), $"models-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, "modles:\n  a: { provider: scripted }\n");
        try
        {
            var (models, diagnostics) = ModelsFileReader.ReadFile(file);
            Assert.Empty(models);
            Assert.Contains(diagnostics, d => d.Code == DiagnosticCodes.UnknownKey && d.Location.Line == 1 && d.Hint!.Contains("models", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
