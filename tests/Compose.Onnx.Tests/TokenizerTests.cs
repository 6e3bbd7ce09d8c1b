using System.Text;
using Compose.Onnx.TestKit;
using Compose.Onnx.Tokenization;

namespace Compose.Onnx.Tests;

public sealed class TokenizerTests
{
    [Fact]
    public void Byte_level_round_trip_with_special_tokens()
    {
        using var temp = new TempFolder();
        TinyDecoderWriter.Write(temp.Path, new TinyDecoderSpec());
        var tokenizer = ModelTokenizer.Load(temp.Path);

        var ids = tokenizer.Encode("<|im_start|>user\nHé 😀<|im_end|>");

        Assert.Equal(TinyDecoderWriter.ImStart, ids[0]);
        Assert.Equal(TinyDecoderWriter.ImEnd, ids[^1]);
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        Assert.Equal("user\nHé 😀", tokenizer.Decode(ids)); // special tokens are left out of text
    }

    [Fact]
    public void Incremental_decoding_never_splits_a_character()
    {
        using var temp = new TempFolder();
        TinyDecoderWriter.Write(temp.Path, new TinyDecoderSpec());
        var tokenizer = ModelTokenizer.Load(temp.Path);
        const string Text = "añb€c😀d";
        var decoder = tokenizer.CreateDecoder();

        var chunks = new List<string>();
        foreach (var b in Encoding.UTF8.GetBytes(Text))
        {
            chunks.Add(decoder.Append(b)); // each byte is its own token in this vocabulary
        }

        chunks.Add(decoder.Flush());
        Assert.All(chunks, c => Assert.DoesNotContain('\uFFFD', c));
        Assert.All(chunks, c => Assert.False(c.Length > 0 && char.IsHighSurrogate(c[^1])));
        Assert.Equal(Text, string.Concat(chunks));
        Assert.Contains("😀", chunks);
    }

    [Theory]
    [InlineData(new byte[] { 0x61 }, 1)]
    [InlineData(new byte[] { 0x61, 0xC3 }, 1)]
    [InlineData(new byte[] { 0xC3, 0xB1 }, 2)]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98 }, 0)]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, 4)]
    public void Complete_length_stops_before_partial_characters(byte[] bytes, int expected) =>
        Assert.Equal(expected, IncrementalDecoder.CompleteLength(bytes));

    [Fact]
    public void Sentence_piece_style_tokenizer_json_is_read()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Sub("tokenizer.json"), """
            {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
             "decoder": {"type": "Sequence", "decoders": [{"type": "Replace"}, {"type": "ByteFallback"}]},
             "model": {"type": "BPE", "unk_token": "<unk>", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "h": 6, "i": 7, "▁h": 8, "▁hi": 9},
                       "merges": ["▁ h", "▁h i"]}}
            """);
        var tokenizer = ModelTokenizer.Load(temp.Path);

        Assert.Equal(TokenizerKind.SentencePieceBpe, tokenizer.Kind);
        Assert.Equal([9], tokenizer.Encode("hi"));
        Assert.Equal(" hié", tokenizer.Decode([9, 3, 4]));
    }
}
