namespace Compose.Tests;

/// <summary>
/// Tests that measure the process's managed memory or bound elapsed time run alone, after the parallel ones: another
/// class allocating or keeping the two cores busy at the same time would otherwise count against their bound.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone (measures memory or time)";
}
