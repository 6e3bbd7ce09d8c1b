using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Compose.Runtime;

/// <summary>
/// Derives the seed of every model call from (run seed, question, node, sample index), so the same
/// inputs and seed give the same calls, and sampled calls become cacheable.
/// </summary>
public static class SeedDerivation
{
    /// <summary>A stable 63-bit seed (non-negative, as OpenAI-compatible servers expect).</summary>
    public static long Derive(long runSeed, string question, string nodeId, int sample)
    {
        var qBytes = Encoding.UTF8.GetByteCount(question);
        var nBytes = Encoding.UTF8.GetByteCount(nodeId);
        var length = 8 + 4 + qBytes + 4 + nBytes + 4;
        var buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, runSeed);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[8..], qBytes);
        Encoding.UTF8.GetBytes(question, buffer[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(12 + qBytes)..], nBytes);
        Encoding.UTF8.GetBytes(nodeId, buffer[(16 + qBytes)..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(16 + qBytes + nBytes)..], sample);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer, hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash) & long.MaxValue;
    }
}
