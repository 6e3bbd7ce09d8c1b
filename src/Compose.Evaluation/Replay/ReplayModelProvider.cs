using Compose.Language;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Evaluation.Replay;

/// <summary>
/// <c>provider: replay</c>: a model that answers from recorded generations, so pipelines can be evaluated
/// on real model outputs with no model at hand.
/// <code>
/// m175b:
///   provider: replay
///   path: recordings.jsonl       # JSONL, relative to the pipeline file
///   model: 175b_verification     # which recorded model (a field of the wide layout, or "model" of the long one)
///   on_missing: error            # error (default) | empty: what an unrecorded prompt gets
///   latency_ms: 0                # simulated latency per call
/// </code>
/// See <see cref="ReplayRecordings"/> for the file layouts and <see cref="ReplayChatClient"/> for how a
/// call's seed picks among several recorded samples.
/// </summary>
public sealed class ReplayModelProvider : IModelProvider
{
    private static readonly string[] Options = ["path", "model", "on_missing", "latency_ms"];

    public string Name => "replay";

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        Parse(spec, context, diagnostics, load: true);
        return diagnostics;
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        var parsed = Parse(spec, context, diagnostics, load: true);
        if (parsed is null || diagnostics.Any(d => d.IsError))
        {
            throw new DiagnosticException(diagnostics);
        }

        return new ReplayChatClient(parsed.Value.Recordings, parsed.Value.FailOnMissing, parsed.Value.Latency, spec.Name);
    }

    private static (ReplayRecordings Recordings, bool FailOnMissing, TimeSpan Latency)? Parse(ModelSpec spec, ModelProviderContext context, List<Diagnostic> diagnostics, bool load)
    {
        var options = new ModelOptionsReader("replay", spec, diagnostics);
        options.Known(Options, new(EvaluationDiagnosticCodes.ReplayBadOption, hint: $"Replay models take: {string.Join(", ", Options)}."));
        var path = options.Required(
            "path",
            new(EvaluationDiagnosticCodes.ReplayBadOption, "a replay model needs 'path' (a JSONL file of recorded generations)", "For example: path: recordings.jsonl"));
        var model = options.Required(
            "model",
            new(EvaluationDiagnosticCodes.ReplayBadOption, "a replay model needs 'model' (which recorded model answers)", "For example: model: 175b_verification"));
        var failOnMissing = options.Word("on_missing", ["error", "empty"], new(EvaluationDiagnosticCodes.ReplayBadOption, "on_missing must be 'error' or 'empty'", "on_missing: error")) != "empty";
        var latency = options.Milliseconds("latency_ms", 600_000, new(EvaluationDiagnosticCodes.ReplayBadOption, hint: "latency_ms: 50")) ?? TimeSpan.Zero;

        if (path is null || model is null || !load || diagnostics.Any(d => d.IsError))
        {
            return null;
        }

        var (full, outside) = context.ResolvePath(path.Value, "recordings file");
        if (outside is not null)
        {
            diagnostics.Add(outside.ToDiagnostic(path.Location));
            return null;
        }

        ReplayRecordings recordings;
        try
        {
            recordings = ReplayRecordings.Load(full!, model.Value, context.Files);
        }
        catch (Compose.IO.FileBoundException ex) when (ex.Error.Code != DiagnosticCodes.FileUnreadable)
        {
            diagnostics.Add(ex.Error.ToDiagnostic(path.Location));
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            diagnostics.Add(Diagnostic.Error(EvaluationDiagnosticCodes.ReplayUnreadable, path.Location, $"cannot read the recordings '{full}': {ex.Message}", "Check the path (relative to the pipeline file); recordings are JSONL, one question per line."));
            return null;
        }

        if (recordings.Count == 0)
        {
            var known = recordings.ModelsInFile.IsEmpty ? "none" : string.Join(", ", recordings.ModelsInFile);
            diagnostics.Add(Diagnostic.Error(EvaluationDiagnosticCodes.ReplayUnknownModel, model.Location, $"the recordings '{path.Value}' hold no sample of model '{model.Value}'", $"Models recorded in the file: {known}."));
            return null;
        }

        return (recordings, failOnMissing, latency);
    }
}
