using System.Text.Json.Nodes;

namespace Compose.Cli.Tests;

/// <summary><c>compose schema</c> gives editors the shipped schema, extended with the techniques of --techniques assemblies.</summary>
public sealed class SchemaCommandTests
{
    private static string KeywordFilter => Path.Combine(AppContext.BaseDirectory, "KeywordFilter.dll");

    [Fact]
    public async Task Without_assemblies_it_is_the_shipped_schema()
    {
        var result = await Cli.InProcess("schema");

        Assert.Equal(0, result.ExitCode);
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repo.Root, "schemas", "pipeline.schema.json")));
        Assert.True(JsonNode.DeepEquals(shipped, JsonNode.Parse(result.Out)), "compose schema differs from schemas/pipeline.schema.json");
    }

    [Fact]
    public async Task With_an_assembly_it_describes_its_technique_options_words_and_nothing_else_changes()
    {
        var result = await Cli.InProcess("schema", "--techniques", KeywordFilter);

        Assert.Equal(0, result.ExitCode);
        var schema = JsonNode.Parse(result.Out)!;
        Assert.Equal("#/$defs/keyword_filter", (string?)schema["$defs"]!["technique"]!["properties"]!["keyword_filter"]!["$ref"]);
        var properties = schema["$defs"]!["keyword_filter"]!["properties"]!.AsObject();
        Assert.Equal(["id", "temperature", "max_tokens", "prompt", "prompts", "keywords", "mode", "on_none"], properties.Select(p => p.Key).ToArray());
        Assert.Equal(["all", "any"], properties["mode"]!["enum"]!.AsArray().Select(w => (string)w!).ToArray());
        Assert.False((bool)schema["$defs"]!["keyword_filter"]!["additionalProperties"]!);
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repo.Root, "schemas", "pipeline.schema.json")))!;
        Assert.True(JsonNode.DeepEquals(shipped["$defs"]!["rank"], schema["$defs"]!["rank"]));
    }

    [Fact]
    public async Task It_writes_a_file_with_output()
    {
        var path = Path.Combine(Path.GetTempPath(), $"compose-schema-{Guid.NewGuid():N}.json");
        try
        {
            var result = await Cli.InProcess("schema", "--techniques", KeywordFilter, "--output", path);

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("keyword_filter", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
