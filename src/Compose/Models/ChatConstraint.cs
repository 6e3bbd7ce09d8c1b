using System.Collections.Immutable;
using Microsoft.Extensions.AI;

namespace Compose.Models;

/// <summary>What form a constrained reply must take.</summary>
public enum OutputConstraintKind
{
    /// <summary>The reply is exactly one of <see cref="OutputConstraint.Choices"/>.</summary>
    Choice,

    /// <summary>The whole reply matches <see cref="OutputConstraint.Pattern"/> (a regular expression).</summary>
    Pattern,

    /// <summary>The reply is a JSON document valid under <see cref="OutputConstraint.Pattern"/> (a JSON schema).</summary>
    JsonSchema,
}

/// <summary>
/// A form the model's reply must take, enforced while decoding (not checked afterwards): one of a set of choices
/// (a verifier's yes/no), a regular expression, or a JSON schema. Immutable.
/// </summary>
public sealed record OutputConstraint
{
    private OutputConstraint(OutputConstraintKind kind, ImmutableArray<string> choices, string? pattern)
    {
        Kind = kind;
        Choices = choices;
        Pattern = pattern;
    }

    public OutputConstraintKind Kind { get; }

    /// <summary>The allowed replies of a <see cref="OutputConstraintKind.Choice"/> constraint; empty otherwise.</summary>
    public ImmutableArray<string> Choices { get; }

    /// <summary>The regular expression or the JSON schema text; null for a choice.</summary>
    public string? Pattern { get; }

    /// <summary>The capability a model must declare to honour this constraint.</summary>
    public ModelCapabilities Needs => Kind == OutputConstraintKind.Choice ? ModelCapabilities.ConstrainedOutput : ModelCapabilities.ConstrainedGrammar;

    /// <summary>One of <paramref name="choices"/> (at least one, none empty).</summary>
    public static OutputConstraint OneOf(params IEnumerable<string> choices)
    {
        ImmutableArray<string> list = [.. choices];
        if (list.IsEmpty || list.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("A choice constraint needs at least one non-empty choice.", nameof(choices));
        }

        return new(OutputConstraintKind.Choice, list, null);
    }

    /// <summary>A reply the regular expression <paramref name="pattern"/> matches in full.</summary>
    public static OutputConstraint Regex(string pattern) =>
        new(OutputConstraintKind.Pattern, [], string.IsNullOrEmpty(pattern) ? throw new ArgumentException("The pattern is empty.", nameof(pattern)) : pattern);

    /// <summary>A JSON document valid under the JSON schema <paramref name="schema"/> (its text).</summary>
    public static OutputConstraint Json(string schema) =>
        new(OutputConstraintKind.JsonSchema, [], string.IsNullOrWhiteSpace(schema) ? throw new ArgumentException("The schema is empty.", nameof(schema)) : schema);

    public bool Equals(OutputConstraint? other) =>
        other is not null && Kind == other.Kind && Pattern == other.Pattern && Choices.SequenceEqual(other.Choices);

    public override int GetHashCode() => HashCode.Combine(Kind, Pattern, Choices.Length > 0 ? Choices[0] : null, Choices.Length);

    public override string ToString() => Kind switch
    {
        OutputConstraintKind.Choice => $"one of {string.Join(" | ", Choices)}",
        OutputConstraintKind.Pattern => $"pattern {Pattern}",
        _ => "a JSON schema",
    };
}

/// <summary>
/// The convention by which a technique asks a model to constrain its reply: <see cref="ChatOptions.AdditionalProperties"/>
/// holds an <see cref="OutputConstraint"/> under <see cref="Key"/>. Only models whose provider declares the constraint's
/// capability (<see cref="OutputConstraint.Needs"/>) are asked; a provider that cannot honour a constraint it is given
/// refuses the request rather than ignoring it.
/// </summary>
public static class ChatConstraint
{
    public const string Key = "compose.constraint";

    /// <summary>The constraint <paramref name="options"/> carry, or null.</summary>
    public static OutputConstraint? Of(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as OutputConstraint : null;

    /// <summary>Puts <paramref name="constraint"/> in <paramref name="options"/> (returns them for chaining).</summary>
    public static ChatOptions Constrain(ChatOptions options, OutputConstraint constraint)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(constraint);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[Key] = constraint;
        return options;
    }

    /// <summary>The refusal of a provider that cannot honour a constraint.</summary>
    public static ModelCallException NotSupported(string model, string provider, OutputConstraint constraint, string hint) =>
        new(model, null, 1, $"model '{model}' (provider {provider}) cannot constrain its output to {constraint}: {hint}");
}
