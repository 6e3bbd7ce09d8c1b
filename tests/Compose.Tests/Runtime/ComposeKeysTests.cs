using System.Text.Json;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

/// <summary>One reader of a caller's call budget and seed, whatever number type the host passes.</summary>
public sealed class ComposeKeysTests
{
    public static TheoryData<object, int?> CallCounts() => new()
    {
        { 3, 3 },
        { 3L, 3 },
        { (short)3, 3 },
        { 3.0, 3 },
        { "3", 3 },
        { JsonDocument.Parse("3").RootElement, 3 },
        { JsonDocument.Parse("\"3\"").RootElement, 3 },
        { -2, 0 },
        { 5_000_000_000L, int.MaxValue },
        { 2.5, null },
        { "three", null },
        { true, null },
    };

    [Theory]
    [MemberData(nameof(CallCounts))]
    public void Max_calls_is_read_from_any_whole_number_under_either_key(object value, int? expected)
    {
        Assert.Equal(expected, ComposeKeys.MaxCallsOf(new AdditionalPropertiesDictionary { [ComposeKeys.MaxCalls] = value }));
        Assert.Equal(expected, ComposeKeys.MaxCallsOf(new AdditionalPropertiesDictionary { [ComposeKeys.MaxCallsAlias] = value }));
    }

    [Fact]
    public void The_compose_key_wins_over_the_alias_and_the_seed_option_over_extension_data()
    {
        Assert.Equal(2, ComposeKeys.MaxCallsOf(new AdditionalPropertiesDictionary { [ComposeKeys.MaxCallsAlias] = 9, [ComposeKeys.MaxCalls] = 2 }));
        Assert.Null(ComposeKeys.MaxCallsOf(null));
        Assert.Equal(7, ComposeKeys.SeedOf(new ChatOptions { Seed = 7, AdditionalProperties = new() { [ComposeKeys.SeedAlias] = 8 } }));
        Assert.Equal(8, ComposeKeys.SeedOf(new ChatOptions { AdditionalProperties = new() { [ComposeKeys.SeedAlias] = "8" } }));
        Assert.Null(ComposeKeys.SeedOf(null));
    }
}
