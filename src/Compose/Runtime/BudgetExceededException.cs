namespace Compose.Runtime;

/// <summary>A call would exceed the question's budget; the executor stops the question cleanly.</summary>
public sealed class BudgetExceededException(string message) : Exception(message);
