using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// Reads a <c>budget:</c> written in another YAML file (a search space) by the pipeline language's rules:
/// the same keys, value ranges, price syntax (<c>MODEL: { input: 0.15, output: 0.6 }</c>) and diagnostic codes.
/// </summary>
public static class BudgetReader
{
    /// <summary>
    /// The top-level <paramref name="key"/> of the YAML mapping <paramref name="yaml"/> read as a pipeline budget,
    /// with its diagnostics located in <paramref name="filePath"/>; the budget is null when the key is absent or
    /// the text is not a YAML mapping.
    /// </summary>
    public static (BudgetSpec? Budget, ImmutableArray<Diagnostic> Diagnostics) ReadTopLevel(string yaml, string filePath, string key = "budget")
    {
        var diagnostics = new List<Diagnostic>();
        if (YamlTreeLoader.Load(yaml, filePath, diagnostics) is not YMapping top || diagnostics.Any(d => d.IsError))
        {
            return (null, PipelineReader.Sorted(diagnostics));
        }

        var entry = top.Entries.FirstOrDefault(e => e.Name == key);
        if (entry is null)
        {
            return (null, PipelineReader.Sorted(diagnostics));
        }

        var budget = new SpecBuilder(filePath, diagnostics, TechniqueSet.BuiltIn).ReadBudget(entry.Value);
        return (budget, PipelineReader.Sorted(diagnostics));
    }
}
