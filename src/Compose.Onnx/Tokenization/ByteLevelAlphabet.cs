namespace Compose.Onnx.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table: byte-level BPE vocabularies spell every byte as a
/// printable character (a space is 'Ġ'); decoding maps the characters back to bytes.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly Dictionary<char, byte> CharToByte = Build();

    public static bool TryGetByte(char c, out byte value) => CharToByte.TryGetValue(c, out value);

    private static Dictionary<char, byte> Build()
    {
        var map = new Dictionary<char, byte>(256);
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            var c = printable ? (char)b : (char)(256 + n++);
            map[c] = (byte)b;
        }

        return map;
    }
}
