using System.CommandLine;
using Compose.Models;

namespace Compose.Cli.Commands;

/// <summary>The global <c>--techniques PATH</c> option: techniques from an assembly, usable by every command's pipelines.</summary>
internal static class TechniqueOptions
{
    public const string Name = "--techniques";

    public static Option<string[]> Create()
    {
        var option = new Option<string[]>(Name)
        {
            Description = "A .NET assembly (.dll) with techniques of your own (classes deriving from TechniqueDefinition<TSpec>); its techniques may be used in pipelines like the built-ins (repeatable; see docs/techniques.md).",
            Recursive = true,
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        option.Validators.Add(result =>
        {
            if (TechniqueAssemblies.Catalog(result.GetValueOrDefault<string[]>() ?? []).Error is { } error)
            {
                result.AddError(error);
            }
        });
        return option;
    }

    /// <summary>The CLI's providers with the built-in techniques and those of every <c>--techniques</c> assembly (validated at parse time).</summary>
    public static ModelProviderCatalog Catalog(ParseResult parse)
    {
        var paths = parse.GetValue<string[]>(Name) ?? [];
        return paths.Length == 0
            ? ProviderSetup.Catalog
            : ProviderSetup.Catalog.WithTechniques(TechniqueAssemblies.Catalog(paths).Catalog ?? Techniques.TechniqueCatalog.BuiltIn);
    }
}
