namespace Compose.Models.Providers;

/// <summary>
/// A forward-only, read-only stream over an upstream response body: the plumbing every such wrapper shares.
/// Subclasses read (and check) the bytes; disposing disposes <paramref name="inner"/>.
/// </summary>
internal abstract class ReadOnlyWrapperStream(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    /// <summary>Bytes read from the upstream body so far.</summary>
    protected abstract long BytesRead { get; }

    protected Stream Inner => inner;

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
