namespace Compose.Compilation;

/// <summary>Arithmetic for static bounds that saturates instead of overflowing (bounds can be astronomically large).</summary>
public static class Saturating
{
    public static long Add(long a, long b) => Clamp((Int128)a + b);

    public static long Mul(long a, long b) => Clamp((Int128)a * b);

    public static long Mul(long a, long b, long c) => Clamp((Int128)Mul(a, b) * c);

    public static int ToInt(long value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);

    private static long Clamp(Int128 value) => value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;
}
