namespace Compose.Tests;

/// <summary>
/// Tests that measure the process's managed memory run alone, after the parallel ones: another class allocating at the
/// same time would otherwise count against their bound.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuresProcessMemory
{
    public const string Name = "Measures process memory";
}
