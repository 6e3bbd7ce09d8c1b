using System.Text;
using Compose.Onnx.Tokenization;

namespace Compose.Onnx.Chat;

/// <summary>
/// Builds the reply text token by token: decodes incrementally (UTF-8 safe), stops at the first stop
/// sequence (which is cut from the text), and hands out only text that cannot turn out to be the
/// beginning of a stop sequence.
/// </summary>
internal sealed class ReplyTextBuilder(IncrementalDecoder decoder, IReadOnlyList<string> stopSequences)
{
    private readonly StringBuilder _text = new();
    private readonly int _longestStop = stopSequences.Count == 0 ? 0 : stopSequences.Max(s => s.Length);
    private int _emitted;
    private bool _completed;

    /// <summary>True once a stop sequence has matched.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop sequence that matched (the earliest in the text; the first listed on a tie), or null.</summary>
    public string? StopSequence { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Adds a token; false once a stop sequence has matched.</summary>
    public bool Add(int token)
    {
        if (Stopped)
        {
            return false;
        }

        var piece = decoder.Append(token);
        if (piece.Length == 0)
        {
            return true;
        }

        var from = Math.Max(0, _text.Length - _longestStop + 1);
        _text.Append(piece);
        return !MatchStop(from);
    }

    /// <summary>Flushes the decoder (end of generation).</summary>
    public void Complete()
    {
        if (!Stopped && !_completed)
        {
            var from = Math.Max(0, _text.Length - _longestStop + 1);
            _text.Append(decoder.Flush());
            MatchStop(from);
        }

        _completed = true;
    }

    /// <summary>Text that became safe to show since the last call.</summary>
    public string TakeChunk()
    {
        var safe = _text.Length;
        if (!Stopped && !_completed)
        {
            safe -= PendingStopPrefix();
        }

        if (safe <= _emitted)
        {
            return "";
        }

        var chunk = _text.ToString(_emitted, safe - _emitted);
        _emitted = safe;
        return chunk;
    }

    private bool MatchStop(int from)
    {
        if (_longestStop == 0)
        {
            return false;
        }

        var text = _text.ToString(from, _text.Length - from);
        var best = -1;
        string? matched = null;
        foreach (var stop in stopSequences)
        {
            var i = stop.Length == 0 ? -1 : text.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best))
            {
                best = i;
                matched = stop;
            }
        }

        if (best < 0)
        {
            return false;
        }

        _text.Length = Math.Max(from + best, _emitted);
        Stopped = true;
        StopSequence = matched;
        return true;
    }

    /// <summary>Length of the longest end of the text that is a proper prefix of a stop sequence.</summary>
    private int PendingStopPrefix()
    {
        var longest = 0;
        foreach (var stop in stopSequences)
        {
            for (var n = Math.Min(stop.Length - 1, _text.Length - _emitted); n > longest; n--)
            {
                if (EndsWith(stop.AsSpan(0, n)))
                {
                    longest = n;
                    break;
                }
            }
        }

        return longest;
    }

    private bool EndsWith(ReadOnlySpan<char> s)
    {
        var start = _text.Length - s.Length;
        for (var i = 0; i < s.Length; i++)
        {
            if (_text[start + i] != s[i])
            {
                return false;
            }
        }

        return true;
    }
}
