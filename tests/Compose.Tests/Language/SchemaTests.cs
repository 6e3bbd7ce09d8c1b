using System.Collections.Immutable;
using System.Text.Json;
using Compose.Language;
using Compose.Techniques;

namespace Compose.Tests.Language;

/// <summary>The JSON schema editors use must describe exactly the keys and words the reader knows.</summary>
public sealed class SchemaTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "schemas", "pipeline.schema.json"))).RootElement;

    private static JsonElement At(string pointer)
    {
        var element = Schema;
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            element = element.ValueKind == JsonValueKind.Array ? element[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)] : element.GetProperty(part);
        }

        return element;
    }

    private static string[] Keys(string pointer) => [.. At(pointer).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static string[] Words(string pointer) => [.. At(pointer).EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];

    private static string[] Sorted(IEnumerable<string> keys) => [.. keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Is_draft_2020_12()
    {
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", At("$schema").GetString());
    }

    public static TheoryData<string, string[]> KeyTables() => new()
    {
        { "properties", Sorted(PipelineKeys.Top) },
        { "$defs/defaults/properties", Sorted(PipelineKeys.Defaults) },
        { "$defs/budget/properties", Sorted(PipelineKeys.Budget) },
        { "$defs/price/properties", Sorted(PipelineKeys.Price) },
        { "$defs/outputOptions/properties", Sorted(PipelineKeys.Output) },
        { "$defs/check/properties", Sorted(PipelineKeys.Check) },
        { "$defs/promptFile/properties", Sorted(PipelineKeys.PromptFile) },
        { "$defs/model/properties", Sorted(PipelineKeys.Model) },
        { "$defs/technique/properties", Sorted(TechniqueCatalog.BuiltIn.Keys) },
    };

    [Theory]
    [MemberData(nameof(KeyTables))]
    public void Describes_exactly_the_keys_the_reader_knows(string pointer, string[] keys)
    {
        Assert.Equal(keys, Keys(pointer));
    }

    [Fact]
    public void Describes_every_technique_of_the_catalog_with_its_options_words_and_templates()
    {
        Assert.Equal(16, TechniqueCatalog.BuiltIn.All.Length);
        foreach (var definition in TechniqueCatalog.BuiltIn.All)
        {
            var kind = definition.Key;
            Assert.Equal($"#/$defs/{kind}", At($"$defs/technique/properties/{kind}/$ref").GetString());
            Assert.Equal(Sorted(PipelineKeys.Common.Concat(definition.Options.Select(o => o.Name))), Keys($"$defs/{kind}/properties"));
            Assert.Equal(Sorted(definition.Templates.Select(t => t.Name)), Keys($"$defs/{kind}/properties/prompts/properties"));
            foreach (var option in definition.Options.Where(o => !o.Words.IsEmpty))
            {
                Assert.Equal(Sorted(option.Words), Words($"$defs/{kind}/properties/{option.Name}/enum"));
            }
        }
    }

    [Theory]
    [InlineData("$defs/outputOptions/properties/tie_break/enum", nameof(PipelineKeys.TieBreaks))]
    [InlineData("$defs/outputOptions/properties/select/enum", nameof(PipelineKeys.Selections))]
    [InlineData("$defs/output/oneOf/0/enum", nameof(PipelineKeys.Selections))]
    public void Describes_exactly_the_words_the_reader_knows(string pointer, string table)
    {
        var words = (ImmutableArray<string>)typeof(PipelineKeys).GetProperty(table)!.GetValue(null)!;

        Assert.Equal(Sorted(words), Words(pointer));
    }

    [Fact]
    public void Every_reference_resolves()
    {
        var references = new List<string>();
        CollectReferences(Schema, references);

        Assert.NotEmpty(references);
        Assert.All(references, reference =>
        {
            Assert.StartsWith("#/$defs/", reference);
            Assert.Equal(JsonValueKind.Object, At(reference.TrimStart('#')).ValueKind);
        });
    }

    private static void CollectReferences(JsonElement element, List<string> references)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "$ref")
                    {
                        references.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        CollectReferences(property.Value, references);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectReferences(item, references);
                }

                break;
        }
    }

    [Fact]
    public void Every_property_has_a_description()
    {
        var missing = new List<string>();
        Walk(Schema, "", missing);
        Assert.Empty(missing);
    }

    private static void Walk(JsonElement element, string path, List<string> missing)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (element.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                var described = property.Value.TryGetProperty("description", out _)
                    || (property.Value.TryGetProperty("$ref", out var reference) && At(reference.GetString()!.TrimStart('#')).TryGetProperty("description", out _));
                if (!described)
                {
                    missing.Add($"{path}/properties/{property.Name}");
                }
            }
        }

        foreach (var child in element.EnumerateObject())
        {
            if (child.Value.ValueKind == JsonValueKind.Object)
            {
                Walk(child.Value, $"{path}/{child.Name}", missing);
            }
        }
    }
}
