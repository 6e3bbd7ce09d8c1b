using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Compose.Runtime;

namespace Compose.Tests.Runtime;

public sealed class SeedPrefixTests
{
    /// <summary>The derivation as specified, over the platform's SHA-256.</summary>
    private static long Reference(long runSeed, string question, string nodeKey, int sample)
    {
        var q = Encoding.UTF8.GetBytes(question);
        var n = Encoding.UTF8.GetBytes(nodeKey);
        var buffer = new byte[8 + 4 + q.Length + 4 + n.Length + 4];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, runSeed);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(8), q.Length);
        q.CopyTo(buffer, 12);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(12 + q.Length), n.Length);
        n.CopyTo(buffer, 16 + q.Length);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(16 + q.Length + n.Length), sample);
        return BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(buffer)) & long.MaxValue;
    }

    private static readonly string Alphabet = "abcXYZ019 ?+/.\n\té漢字ß€😀";

    private static string RandomText(Random random, int maxLength)
    {
        var length = random.Next(maxLength + 1);
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var i = random.Next(Alphabet.Length);
            text.Append(char.IsHighSurrogate(Alphabet[i]) ? Alphabet.Substring(i, 2) : char.IsLowSurrogate(Alphabet[i]) ? "x" : Alphabet[i].ToString());
        }

        return text.ToString();
    }

    [Fact]
    public void Managed_derivation_equals_the_platform_hash_for_random_inputs()
    {
        var random = new Random(20261129);
        int[] special = [0, 1, -1, int.MaxValue, int.MinValue, 255, 256, 65535];
        for (var round = 0; round < 3000; round++)
        {
            var runSeed = random.Next(4) == 0 ? random.Next(-3, 3) : random.NextInt64(long.MinValue, long.MaxValue);
            var question = RandomText(random, 300);
            var nodeKey = RandomText(random, 100);
            var prefix = new SeedPrefix(runSeed, question, nodeKey);
            var kept = new SeedPrefix(runSeed, question, nodeKey, buildAt: 1);
            var whole = new SeedPrefix(runSeed, question, nodeKey, buildAt: int.MaxValue);
            var scalar = new SeedPrefix(runSeed, question, nodeKey, buildAt: 1) { Batched = false };
            for (var i = 0; i < 4; i++)
            {
                var sample = i < 2 ? special[random.Next(special.Length)] : random.Next(int.MinValue, int.MaxValue);
                var expected = Reference(runSeed, question, nodeKey, sample);
                Assert.Equal(expected, prefix.Seed(sample));
                Assert.Equal(expected, kept.Seed(sample));
                Assert.Equal(expected, whole.Seed(sample));
                Assert.Equal(expected, scalar.Seed(sample));
                Assert.Equal(expected, SeedDerivation.Derive(runSeed, question, nodeKey, sample));
            }
        }
    }

    [Fact]
    public void Every_tail_length_and_sample_offset_matches()
    {
        // Prefix lengths 16..16+200 cover every offset of the sample within a block and both one- and two-block tails.
        for (var q = 0; q <= 200; q++)
        {
            var question = new string('q', q);
            var prefix = new SeedPrefix(42, question, "L1.generate", buildAt: 2);
            var scalar = new SeedPrefix(42, question, "L1.generate", buildAt: 2) { Batched = false };
            foreach (var sample in new[] { 0, 7, -5, int.MaxValue, 1, 8 })
            {
                Assert.Equal(Reference(42, question, "L1.generate", sample), prefix.Seed(sample));
                Assert.Equal(Reference(42, question, "L1.generate", sample), scalar.Seed(sample));
            }
        }
    }

    [Fact]
    public void Concurrent_callers_get_the_same_seeds()
    {
        var question = string.Concat(Enumerable.Repeat("Wie viel ist 2+2? ", 40));
        var prefix = new SeedPrefix(5, question, "L2.critique");
        var seeds = new long[2000];
        Parallel.For(0, seeds.Length, i => seeds[i] = prefix.Seed(i));
        for (var i = 0; i < seeds.Length; i++)
        {
            Assert.Equal(Reference(5, question, "L2.critique", i), seeds[i]);
        }
    }

    [Fact]
    public void Long_inputs_beyond_the_stack_buffer_match()
    {
        var question = string.Concat(Enumerable.Repeat("Ünïcödé question 😀 ", 200));
        var prefix = new SeedPrefix(9, question, "n/critique");
        for (var sample = -3; sample < 300; sample++)
        {
            Assert.Equal(Reference(9, question, "n/critique", sample), prefix.Seed(sample));
        }
        Assert.Equal(Reference(9, question, "n/critique", 3), SeedDerivation.Derive(9, question, "n/critique", 3));
    }

    [Fact]
    public void Batches_serve_samples_in_any_order_and_wrap_past_int_max()
    {
        var question = "What is 2 + 2?";
        var prefix = new SeedPrefix(3, question, "L0.generate", buildAt: 1);
        int[] samples = [5, 4, 12, 6, 13, 0, 20, 19, int.MaxValue - 2, int.MinValue + 4, int.MaxValue, int.MinValue, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        foreach (var sample in samples)
        {
            Assert.Equal(Reference(3, question, "L0.generate", sample), prefix.Seed(sample));
        }
    }

    [Fact]
    public void Eight_lane_compression_equals_the_scalar_one_in_every_lane()
    {
        var random = new Random(11);
        Span<uint> words = stackalloc uint[16];
        Span<uint> scalarState = stackalloc uint[8];
        var state = new System.Runtime.Intrinsics.Vector256<uint>[8];
        var block = new System.Runtime.Intrinsics.Vector256<uint>[16];
        var lanes = new uint[8, 24];
        for (var round = 0; round < 50; round++)
        {
            for (var lane = 0; lane < 8; lane++)
            {
                for (var i = 0; i < 24; i++)
                {
                    lanes[lane, i] = (uint)random.NextInt64(0, 1L << 32);
                }
            }

            for (var i = 0; i < 24; i++)
            {
                var column = new uint[8];
                for (var lane = 0; lane < 8; lane++)
                {
                    column[lane] = lanes[lane, i];
                }

                if (i < 8)
                {
                    state[i] = System.Runtime.Intrinsics.Vector256.Create<uint>(column);
                }
                else
                {
                    block[i - 8] = System.Runtime.Intrinsics.Vector256.Create<uint>(column);
                }
            }

            Sha256x8.Compress(state, block);
            for (var lane = 0; lane < 8; lane++)
            {
                for (var i = 0; i < 8; i++)
                {
                    scalarState[i] = lanes[lane, i];
                }

                for (var i = 0; i < 16; i++)
                {
                    words[i] = lanes[lane, 8 + i];
                }

                Sha256.Compress(scalarState, words);
                for (var i = 0; i < 8; i++)
                {
                    Assert.Equal(scalarState[i], state[i][lane]);
                }
            }
        }
    }

    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    [InlineData("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")]
    public void Sha256_matches_the_standard_vectors(string message, string expected)
    {
        Assert.Equal(expected, Convert.ToHexStringLower(Sha256.Hash(Encoding.ASCII.GetBytes(message))));
    }

    [Fact]
    public void Sha256_matches_the_platform_for_every_length_up_to_300_and_a_million_as()
    {
        var random = new Random(7);
        for (var length = 0; length <= 300; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(SHA256.HashData(data), Sha256.Hash(data));
        }

        Assert.Equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
            Convert.ToHexStringLower(Sha256.Hash(Enumerable.Repeat((byte)'a', 1_000_000).ToArray())));
    }
}
