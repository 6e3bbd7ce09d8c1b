using System.Text;

namespace Compose.Onnx.Tokenization;

/// <summary>
/// Turns generated token ids into text chunks as they come, holding back the bytes of a UTF-8
/// character until all of them have arrived, so no chunk ever ends inside a character.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly ModelTokenizer _tokenizer;
    private byte[] _pending = new byte[16];
    private int _count;

    internal IncrementalDecoder(ModelTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Adds a token; returns the text that became complete (often empty for partial characters).</summary>
    public string Append(int tokenId)
    {
        var bytes = _tokenizer.GetTokenBytes(tokenId);
        if (bytes.Length == 0)
        {
            return "";
        }

        if (_count + bytes.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _count + bytes.Length));
        }

        bytes.CopyTo(_pending.AsSpan(_count));
        _count += bytes.Length;
        var complete = CompleteLength(_pending.AsSpan(0, _count));
        if (complete == 0)
        {
            return "";
        }

        var text = Encoding.UTF8.GetString(_pending, 0, complete);
        _pending.AsSpan(complete, _count - complete).CopyTo(_pending);
        _count -= complete;
        return text;
    }

    /// <summary>Returns whatever is held back (an incomplete character becomes U+FFFD) and resets.</summary>
    public string Flush()
    {
        var text = _count == 0 ? "" : Encoding.UTF8.GetString(_pending, 0, _count);
        _count = 0;
        return text;
    }

    /// <summary>The length of the longest prefix that does not end inside a UTF-8 character.</summary>
    internal static int CompleteLength(ReadOnlySpan<byte> bytes)
    {
        // Look back at most 3 bytes for the lead byte of the last character.
        for (var back = 1; back <= Math.Min(4, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte
            }

            var needed = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return needed > back ? bytes.Length - back : bytes.Length;
        }

        return bytes.Length;
    }
}
