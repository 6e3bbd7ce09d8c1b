using System.Collections.Immutable;

namespace Compose.Runtime;

/// <summary>
/// A technique node: given the candidates of the previous layer, returns the candidates that
/// continue. Implementations hold only their options; all per-question state lives in the context.
/// </summary>
public interface ITechnique
{
    Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken);
}

/// <summary>The question cannot be answered (for example: verify with <c>on_none: fail</c> passed nothing).</summary>
public sealed class QuestionFailedException(string message) : Exception(message);
