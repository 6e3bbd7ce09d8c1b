namespace Compose.Runtime;

/// <summary>
/// The first call of a question that failed for good, shared by the question's concurrent nodes (thread-safe): the
/// first one recorded cancels the question's other calls and is the run's error.
/// </summary>
internal sealed class FirstFailure(CancellationTokenSource question)
{
    private Exception? _exception;

    public Exception? Exception => Volatile.Read(ref _exception);

    public void Record(Exception exception)
    {
        if (Interlocked.CompareExchange(ref _exception, exception, null) is null)
        {
            try
            {
                question.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the question already ended
            }
        }
    }
}
