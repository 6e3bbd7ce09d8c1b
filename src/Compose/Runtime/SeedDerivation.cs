using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;

namespace Compose.Runtime;

/// <summary>
/// Derives the seed of every model call from (run seed, question, node, sample index), so the same
/// inputs and seed give the same calls, and sampled calls become cacheable.
/// </summary>
/// <remarks>
/// The seed is the first 8 bytes (little-endian, sign bit cleared) of SHA-256 over
/// <c>runSeed (int64 LE) | question byte count (int32 LE) | UTF-8 question | node byte count (int32 LE) | UTF-8 node | sample (int32 LE)</c>.
/// </remarks>
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

    /// <summary>The seed of a SHA-256 state: the hash's first 8 bytes, little-endian, sign bit cleared.</summary>
    internal static long Seed(ReadOnlySpan<uint> state) =>
        (long)(((ulong)BinaryPrimitives.ReverseEndianness(state[1]) << 32) | BinaryPrimitives.ReverseEndianness(state[0])) & long.MaxValue;
}

/// <summary>
/// The seeds of one (run seed, question, node key) for any sample. The SHA-256 state after the
/// message's complete 64-byte blocks before the sample is kept, so each seed compresses only the last
/// one or two blocks. Where 256-bit vectors are accelerated, a missing seed is computed with the next
/// <see cref="SeedBatch.Size"/> samples' in one vectorized pass (eight messages side by side, about the
/// cost of one seed), since a node's calls ask for samples 0, 1, 2, ... in turn; elsewhere each seed is
/// compressed on its own (managed, about a quarter of the platform's one-shot hash). Building the state
/// costs a managed compression per block, so a long prefix first hashes seeds whole with the platform
/// and builds the state only once as many seeds were asked for as half its blocks. Thread-safe:
/// concurrent callers may each build an (equal) state or batch, and either is kept.
/// </summary>
internal sealed class SeedPrefix
{
    private readonly byte[] _prefix;
    private readonly int _buildAt;
    private Midstate? _midstate;
    private SeedBatch? _batch;
    private int _calls;

    /// <param name="runSeed">The run's seed.</param>
    /// <param name="question">The question's text.</param>
    /// <param name="nodeKey">The node, or <c>node/purpose</c>.</param>
    /// <param name="buildAt">The seed (1-based) from which the state is kept; by default from the prefix's length.</param>
    public SeedPrefix(long runSeed, string question, string nodeKey, int? buildAt = null)
    {
        var qBytes = Encoding.UTF8.GetByteCount(question);
        var nBytes = Encoding.UTF8.GetByteCount(nodeKey);
        _prefix = new byte[8 + 4 + qBytes + 4 + nBytes];
        var buffer = _prefix.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(buffer, runSeed);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[8..], qBytes);
        Encoding.UTF8.GetBytes(question, buffer[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(12 + qBytes)..], nBytes);
        Encoding.UTF8.GetBytes(nodeKey, buffer[(16 + qBytes)..]);
        _buildAt = buildAt ?? (_prefix.Length / 64 / 2) + 1;
    }

    /// <summary>Whether missing seeds are computed eight at a time (where vectors are accelerated; tests turn it off to check the scalar path).</summary>
    internal bool Batched { get; init; } = Sha256x8.IsAccelerated;

    /// <summary>The seed of sample <paramref name="sample"/>.</summary>
    public long Seed(int sample)
    {
        if (Volatile.Read(ref _batch) is { } batch && batch.TryGet(sample, out var seed))
        {
            return seed;
        }

        var midstate = Volatile.Read(ref _midstate);
        if (midstate is null)
        {
            if (Interlocked.Increment(ref _calls) < _buildAt)
            {
                return Whole(sample);
            }

            midstate = new Midstate(_prefix);
            Volatile.Write(ref _midstate, midstate);
        }

        if (!Batched)
        {
            return midstate.Seed(sample);
        }

        batch = midstate.Batch(sample);
        Volatile.Write(ref _batch, batch);
        return batch.First;
    }

    /// <summary>The seed hashed whole, by the platform's SHA-256.</summary>
    private long Whole(int sample)
    {
        var length = _prefix.Length + 4;
        var buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        _prefix.CopyTo(buffer);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[_prefix.Length..], sample);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer, hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash) & long.MaxValue;
    }

    /// <summary>The state after the prefix's complete blocks, and the last blocks but for the sample.</summary>
    private sealed class Midstate
    {
        private readonly uint[] _state = new uint[8];

        // The last blocks as big-endian words, the sample's bytes zero; one spare word for a sample ending a block.
        private readonly uint[] _tail = new uint[33];
        private readonly int _sampleWord;
        private readonly int _sampleShift;
        private readonly int _tailBlocks;

        public Midstate(ReadOnlySpan<byte> prefix)
        {
            Sha256.Initialize(_state);
            var full = prefix.Length / 64 * 64;
            Span<uint> words = stackalloc uint[16];
            for (var offset = 0; offset < full; offset += 64)
            {
                Sha256.ReadBlock(prefix.Slice(offset, 64), words);
                Sha256.Compress(_state, words);
            }

            var rest = prefix.Length - full;
            _tailBlocks = rest + 4 + 1 + 8 <= 64 ? 1 : 2;
            Span<byte> tail = stackalloc byte[128];
            tail.Clear();
            prefix[full..].CopyTo(tail);
            tail[rest + 4] = 0x80;
            BinaryPrimitives.WriteUInt64BigEndian(tail[((_tailBlocks * 64) - 8)..], (ulong)(prefix.Length + 4) * 8);
            for (var i = 0; i < 32; i++)
            {
                _tail[i] = BinaryPrimitives.ReadUInt32BigEndian(tail[(i * 4)..]);
            }

            _sampleWord = rest / 4;
            _sampleShift = 32 - (8 * (rest % 4));
        }

        /// <summary>The sample's little-endian bytes, read big-endian: they straddle two words at the tail's offset.</summary>
        private (uint First, uint Second) SampleWords(int sample)
        {
            var window = (ulong)BinaryPrimitives.ReverseEndianness((uint)sample) << _sampleShift;
            return ((uint)(window >> 32), (uint)window);
        }

        [SkipLocalsInit]
        public long Seed(int sample)
        {
            Span<uint> state = stackalloc uint[8];
            _state.CopyTo(state);
            Span<uint> tail = stackalloc uint[33];
            _tail.CopyTo(tail);

            var (first, second) = SampleWords(sample);
            ref var word = ref Unsafe.Add(ref MemoryMarshal.GetReference(tail), _sampleWord);
            word |= first;
            Unsafe.Add(ref word, 1) |= second;

            Sha256.Compress(state, tail[..16]);
            if (_tailBlocks == 2)
            {
                Sha256.Compress(state, tail.Slice(16, 16));
            }

            return SeedDerivation.Seed(state);
        }

        /// <summary>The seeds of samples <paramref name="first"/> .. <paramref name="first"/> + 7 (wrapping), in one vectorized pass.</summary>
        [SkipLocalsInit]
        public SeedBatch Batch(int first)
        {
            Span<Vector256<uint>> state = stackalloc Vector256<uint>[8];
            for (var i = 0; i < 8; i++)
            {
                state[i] = Vector256.Create(_state[i]);
            }

            Span<Vector256<uint>> tail = stackalloc Vector256<uint>[33];
            for (var i = 0; i < tail.Length; i++)
            {
                tail[i] = Vector256.Create(_tail[i]);
            }

            Span<uint> firsts = stackalloc uint[SeedBatch.Size];
            Span<uint> seconds = stackalloc uint[SeedBatch.Size];
            for (var lane = 0; lane < SeedBatch.Size; lane++)
            {
                (firsts[lane], seconds[lane]) = SampleWords(unchecked(first + lane));
            }

            tail[_sampleWord] |= Vector256.Create<uint>(firsts);
            tail[_sampleWord + 1] |= Vector256.Create<uint>(seconds);

            Sha256x8.Compress(state, tail[..16]);
            if (_tailBlocks == 2)
            {
                Sha256x8.Compress(state, tail.Slice(16, 16));
            }

            var batch = new SeedBatch(first);
            for (var lane = 0; lane < SeedBatch.Size; lane++)
            {
                batch.Seeds[lane] = (long)(((ulong)BinaryPrimitives.ReverseEndianness(state[1][lane]) << 32)
                    | BinaryPrimitives.ReverseEndianness(state[0][lane])) & long.MaxValue;
            }

            return batch;
        }
    }
}

/// <summary>The seeds of <see cref="Size"/> consecutive samples (wrapping past <see cref="int.MaxValue"/>), from <see cref="Start"/>.</summary>
internal sealed class SeedBatch(int start)
{
    public const int Size = 8;

    public int Start { get; } = start;

    public Lanes Seeds;

    /// <summary>The seed of the batch's first sample.</summary>
    public long First => Seeds[0];

    public bool TryGet(int sample, out long seed)
    {
        var lane = unchecked((uint)(sample - Start));
        seed = lane < Size ? Seeds[(int)lane] : 0;
        return lane < Size;
    }

    [InlineArray(Size)]
    internal struct Lanes
    {
        private long _element;
    }
}

/// <summary>The SHA-256 compression function (FIPS 180-4), over big-endian message words.</summary>
internal static class Sha256
{
    /// <summary>The 64 round constants.</summary>
    public static ReadOnlySpan<uint> RoundConstants =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    public static void Initialize(Span<uint> state)
    {
        state[0] = 0x6a09e667;
        state[1] = 0xbb67ae85;
        state[2] = 0x3c6ef372;
        state[3] = 0xa54ff53a;
        state[4] = 0x510e527f;
        state[5] = 0x9b05688c;
        state[6] = 0x1f83d9ab;
        state[7] = 0x5be0cd19;
    }

    /// <summary>Reads a 64-byte block as 16 big-endian words.</summary>
    public static void ReadBlock(ReadOnlySpan<byte> block, Span<uint> words)
    {
        for (var i = 0; i < 16; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(i * 4)..]);
        }
    }

    /// <summary>
    /// Compresses one block (16 big-endian words) into <paramref name="state"/> (8 words);
    /// <paramref name="block"/> is used as the rolling message schedule and overwritten.
    /// </summary>
    public static void Compress(Span<uint> state, Span<uint> block)
    {
        if (state.Length < 8 || block.Length < 16)
        {
            throw new ArgumentException("SHA-256 needs 8 state words and 16 block words.");
        }

        ref var s = ref MemoryMarshal.GetReference(state);
        ref var w = ref MemoryMarshal.GetReference(block);
        ref var k = ref MemoryMarshal.GetReference(RoundConstants);
        uint a = s, b = Unsafe.Add(ref s, 1), c = Unsafe.Add(ref s, 2), d = Unsafe.Add(ref s, 3);
        uint e = Unsafe.Add(ref s, 4), f = Unsafe.Add(ref s, 5), g = Unsafe.Add(ref s, 6), h = Unsafe.Add(ref s, 7);

        for (var i = 0; i < 16; i++)
        {
            var wi = Unsafe.Add(ref w, i);
            var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                + ((e & f) ^ (~e & g)) + Unsafe.Add(ref k, i) + wi;
            var t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        for (var i = 16; i < 64; i++)
        {
            var w15 = Unsafe.Add(ref w, (i + 1) & 15);
            var w2 = Unsafe.Add(ref w, (i + 14) & 15);
            ref var slot = ref Unsafe.Add(ref w, i & 15);
            var wi = slot + Unsafe.Add(ref w, (i + 9) & 15)
                + (BitOperations.RotateRight(w15, 7) ^ BitOperations.RotateRight(w15, 18) ^ (w15 >> 3))
                + (BitOperations.RotateRight(w2, 17) ^ BitOperations.RotateRight(w2, 19) ^ (w2 >> 10));
            slot = wi;
            var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                + ((e & f) ^ (~e & g)) + Unsafe.Add(ref k, i) + wi;
            var t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        s += a;
        Unsafe.Add(ref s, 1) += b;
        Unsafe.Add(ref s, 2) += c;
        Unsafe.Add(ref s, 3) += d;
        Unsafe.Add(ref s, 4) += e;
        Unsafe.Add(ref s, 5) += f;
        Unsafe.Add(ref s, 6) += g;
        Unsafe.Add(ref s, 7) += h;
    }

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        Span<uint> state = stackalloc uint[8];
        Hash(data, state);
        var hash = new byte[32];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(i * 4), state[i]);
        }

        return hash;
    }

    /// <summary>SHA-256 of <paramref name="data"/>, as the final state's 8 words.</summary>
    [SkipLocalsInit]
    public static void Hash(ReadOnlySpan<byte> data, Span<uint> state)
    {
        Initialize(state);
        Span<uint> words = stackalloc uint[16];
        var full = data.Length / 64 * 64;
        for (var offset = 0; offset < full; offset += 64)
        {
            ReadBlock(data.Slice(offset, 64), words);
            Compress(state, words);
        }

        var rest = data.Length - full;
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        data[full..].CopyTo(tail);
        tail[rest] = 0x80;
        var tailLength = rest + 1 + 8 <= 64 ? 64 : 128;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailLength - 8)..], (ulong)data.Length * 8);
        for (var offset = 0; offset < tailLength; offset += 64)
        {
            ReadBlock(tail.Slice(offset, 64), words);
            Compress(state, words);
        }
    }
}

/// <summary>
/// The SHA-256 compression function (FIPS 180-4) over eight messages side by side: lane <c>j</c> of each
/// vector is message <c>j</c>'s word. Used only where 256-bit vectors are accelerated.
/// </summary>
internal static class Sha256x8
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;

    /// <summary>
    /// Compresses one block per lane (16 vectors of big-endian words) into <paramref name="state"/> (8 vectors);
    /// <paramref name="block"/> is used as the rolling message schedule and overwritten.
    /// </summary>
    public static void Compress(Span<Vector256<uint>> state, Span<Vector256<uint>> block)
    {
        if (state.Length < 8 || block.Length < 16)
        {
            throw new ArgumentException("SHA-256 needs 8 state vectors and 16 block vectors.");
        }

        ref var s = ref MemoryMarshal.GetReference(state);
        ref var w = ref MemoryMarshal.GetReference(block);
        ref var k = ref MemoryMarshal.GetReference(Sha256.RoundConstants);
        Vector256<uint> a = s, b = Unsafe.Add(ref s, 1), c = Unsafe.Add(ref s, 2), d = Unsafe.Add(ref s, 3);
        Vector256<uint> e = Unsafe.Add(ref s, 4), f = Unsafe.Add(ref s, 5), g = Unsafe.Add(ref s, 6), h = Unsafe.Add(ref s, 7);

        for (var i = 0; i < 64; i++)
        {
            Vector256<uint> wi;
            if (i < 16)
            {
                wi = Unsafe.Add(ref w, i);
            }
            else
            {
                var w15 = Unsafe.Add(ref w, (i + 1) & 15);
                var w2 = Unsafe.Add(ref w, (i + 14) & 15);
                ref var slot = ref Unsafe.Add(ref w, i & 15);
                wi = slot + Unsafe.Add(ref w, (i + 9) & 15)
                    + (Rotate(w15, 7) ^ Rotate(w15, 18) ^ (w15 >>> 3))
                    + (Rotate(w2, 17) ^ Rotate(w2, 19) ^ (w2 >>> 10));
                slot = wi;
            }

            var t1 = h + (Rotate(e, 6) ^ Rotate(e, 11) ^ Rotate(e, 25)) + Vector256.ConditionalSelect(e, f, g)
                + Vector256.Create(Unsafe.Add(ref k, i)) + wi;
            var t2 = (Rotate(a, 2) ^ Rotate(a, 13) ^ Rotate(a, 22)) + Vector256.ConditionalSelect(a ^ b, c, a);
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        s += a;
        Unsafe.Add(ref s, 1) += b;
        Unsafe.Add(ref s, 2) += c;
        Unsafe.Add(ref s, 3) += d;
        Unsafe.Add(ref s, 4) += e;
        Unsafe.Add(ref s, 5) += f;
        Unsafe.Add(ref s, 6) += g;
        Unsafe.Add(ref s, 7) += h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate(Vector256<uint> x, [ConstantExpected(Min = 1, Max = 31)] byte n) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateRight(x, n) : (x >>> n) | (x << (32 - n));
}
