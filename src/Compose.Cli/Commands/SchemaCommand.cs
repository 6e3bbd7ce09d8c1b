using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compose.Techniques;

namespace Compose.Cli.Commands;

/// <summary>
/// <c>compose schema</c>: the pipeline JSON schema for editors, with every technique this invocation offers — the
/// built-ins of schemas/pipeline.schema.json and those of <c>--techniques</c> assemblies (their options, the words a
/// word option takes, their templates), so an editor checks a pipeline that uses them instead of flagging it.
/// </summary>
internal static class SchemaCommand
{
    public static Command Create(CliConsole console)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write the schema to this file instead of standard output." };
        var command = new Command("schema", "Print the pipeline JSON schema for editors, including the techniques of --techniques assemblies.") { output };
        command.SetAction(async (parse, ct) =>
        {
            var text = Write(TechniqueOptions.Catalog(parse).TechniqueCatalog());
            if (parse.GetValue(output) is { } path)
            {
                try
                {
                    await File.WriteAllTextAsync(path, text, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await console.Error.WriteLineAsync($"compose: cannot write '{path}': {ex.Message}").ConfigureAwait(false);
                    return ExitCodes.BadInput;
                }

                return ExitCodes.Success;
            }

            await console.Out.WriteAsync(text).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The shipped schema with a definition added for every technique of <paramref name="catalog"/> it does not describe.</summary>
    internal static string Write(TechniqueCatalog catalog)
    {
        using var stream = typeof(SchemaCommand).Assembly.GetManifestResourceStream("Compose.Cli.pipeline.schema.json")
            ?? throw new InvalidOperationException("The pipeline schema is missing from the compose assembly.");
        var schema = JsonNode.Parse(stream)!.AsObject();
        var defs = schema["$defs"]!.AsObject();
        var techniques = defs["technique"]!["properties"]!.AsObject();
        var common = defs["vote"]!["properties"]!.AsObject();
        foreach (var definition in catalog.All.Where(d => !techniques.ContainsKey(d.Key)))
        {
            techniques[definition.Key] = new JsonObject { ["description"] = definition.Summary, ["$ref"] = $"#/$defs/{definition.Key}" };
            var properties = new JsonObject();
            foreach (var key in new[] { "id", "temperature", "max_tokens" })
            {
                properties[key] = common[key]!.DeepClone();
            }

            var templates = new JsonObject();
            foreach (var template in definition.Templates)
            {
                templates[template.Name] = new JsonObject { ["description"] = $"Override of template '{template.Name}'.", ["$ref"] = "#/$defs/prompt" };
            }

            properties["prompt"] = definition.Templates.IsEmpty
                ? new JsonObject { ["description"] = $"'{definition.Key}' uses no prompt template; not allowed.", ["not"] = new JsonObject() }
                : new JsonObject { ["description"] = $"Overrides the main template ('{definition.Templates[0].Name}'): inline Scriban text or {{ file: path }} relative to the pipeline file.", ["$ref"] = "#/$defs/prompt" };
            properties["prompts"] = new JsonObject
            {
                ["description"] = "Template overrides by template name.",
                ["type"] = "object",
                ["properties"] = templates,
                ["additionalProperties"] = false,
            };
            foreach (var option in definition.Options)
            {
                var property = new JsonObject { ["description"] = option.Description };
                if (!option.Words.IsEmpty)
                {
                    property["type"] = "string";
                    property["enum"] = new JsonArray([.. option.Words.Select(w => (JsonNode)JsonValue.Create(w))]);
                }

                properties[option.Name] = property;
            }

            defs[definition.Key] = new JsonObject
            {
                ["description"] = $"{definition.Summary} ({definition.GetType().Assembly.GetName().Name})",
                ["type"] = new JsonArray("object", "null"),
                ["properties"] = properties,
                ["additionalProperties"] = false,
            };
        }

        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
