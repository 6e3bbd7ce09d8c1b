using System.Globalization;
using Compose.Evaluation.Running;

namespace Compose.Cli.Commands;

/// <summary>A one-line progress bar on standard error, redrawn in place; silent when output is redirected.</summary>
internal sealed class ProgressLine(CliConsole console, string name)
{
    private bool _drawn;

    public IProgress<EvalProgress>? For(int total) => console.OutputRedirected ? null : new Reporter(this, total);

    public void Finish()
    {
        if (_drawn)
        {
            console.Error.WriteLine();
        }
    }

    private void Draw(EvalProgress value, int total)
    {
        var share = total == 0 ? 1 : Math.Min(1, (double)value.Done / total);
        var filled = (int)(share * 30);
        var accuracy = value.Done == 0 ? 0 : (double)value.Correct / value.Done;
        console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r{name} [{new string('#', filled)}{new string('.', 30 - filled)}] {value.Done}/{total} accuracy {accuracy:P1} "));
        _drawn = true;
    }

    private sealed class Reporter(ProgressLine line, int total) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => line.Draw(value, total);
    }
}
