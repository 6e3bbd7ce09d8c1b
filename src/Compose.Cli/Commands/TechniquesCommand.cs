using System.CommandLine;
using System.Text;
using Compose.Techniques;

namespace Compose.Cli.Commands;

/// <summary><c>compose techniques</c>: the techniques pipelines may use here (built-ins and <c>--techniques</c> assemblies), with their options and templates.</summary>
internal static class TechniquesCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("techniques", "List the techniques pipelines may use (the built-ins and those of --techniques assemblies), with their options and prompt templates.");
        command.SetAction(parse =>
        {
            var text = new StringBuilder();
            foreach (var definition in TechniqueOptions.Catalog(parse).TechniqueCatalog().All)
            {
                var origin = definition.GetType().Assembly == typeof(TechniqueCatalog).Assembly ? "" : $"  [{definition.GetType().Assembly.GetName().Name}]";
                text.Append(definition.Key).Append(origin).Append('\n');
                text.Append("  ").Append(definition.Summary).Append('\n');
                foreach (var option in definition.Options)
                {
                    text.Append("  ").Append(option.Name).Append(": ").Append(option.Description).Append('\n');
                }

                if (!definition.Templates.IsEmpty)
                {
                    text.Append("  templates: ").Append(string.Join(", ", definition.Templates.Select(t => t.Name))).Append('\n');
                }
            }

            console.Out.Write(text.ToString());
            return ExitCodes.Success;
        });
        return command;
    }
}
