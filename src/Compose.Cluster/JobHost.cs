using System.Globalization;
using System.Text.Json;
using Compose.Compilation;
using Compose.Evaluation.Benchmarks;
using Compose.Evaluation.Caching;
using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.IO;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Microsoft.Extensions.Caching.Distributed;

namespace Compose.Cluster;

/// <summary>
/// The jobs a silo answers items of: each job's pipeline and scorer built once (from the job's text, with the
/// cluster's routing and the shared response cache in front of every model) and reused for its items; beyond
/// <see cref="ComposeSiloOptions.MaxJobs"/> the least recently used idle job is released.
/// </summary>
internal sealed class JobHost : IDisposable
{
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ModelHost _models;
    private readonly ModelProviderCatalog _catalog;
    private readonly ResponseCache _cache;
    private long _items;

    public JobHost(ModelHost models, IModelRouting routing, IDistributedCache cache)
    {
        _models = models;
        _catalog = ClusterModelProvider.Wrap(models.Options.Catalog, routing);
        _cache = new ResponseCache(cache);
    }

    public long Items => Interlocked.Read(ref _items);

    public async Task<ItemOutcome> EvaluateAsync(ItemWork work, string silo, CancellationToken cancellationToken)
    {
        Job job;
        lock (_gate)
        {
            if (!_jobs.TryGetValue(work.Job.Id, out job!))
            {
                job = new Job(work.Job, Build);
                _jobs[work.Job.Id] = job;
            }

            job.InFlight++;
            job.LastUsed = Environment.TickCount64;
        }

        try
        {
            var (pipeline, scorer, error) = job.Built.Value;
            if (error is not null)
            {
                return new ItemOutcome { Silo = silo, JobError = error };
            }

            var files = Files(work.Job);
            if (work.Item.Length > files.MaxLineBytes)
            {
                return new ItemOutcome { Silo = silo, JobError = $"an item of {work.Item.Length} characters is over the benchmark line limit ({files.MaxLineBytes} bytes) on silo '{_models.Options.Name}'" };
            }

            var item = BenchmarkReader.Parse(work.Item, "(cluster item)", 1);
            var requested = ResponseCache.CountRequestsHere();
            var result = await Evaluator.EvaluateItemAsync(pipeline!, item, scorer!, work.Job.Seed, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _items);
            return new ItemOutcome { Result = JsonSerializer.Serialize(result, ResultsFile.Json), Silo = silo, Requested = requested.Requests };
        }
        finally
        {
            lock (_gate)
            {
                job.InFlight--;
                Trim();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var job in _jobs.Values)
            {
                job.Dispose();
            }

            _jobs.Clear();
        }
    }

    private (RunnablePipeline?, IScorer?, string?) Build(EvalJob job)
    {
        var files = Files(job);
        foreach (var (what, text) in new[] { ("pipeline", job.PipelineText), ("models file", job.ModelsText ?? "") })
        {
            if (text.Length > files.MaxFileBytes)
            {
                return (null, null, $"silo '{_models.Options.Name}' refuses the job: its {what} text ({text.Length} characters) is over the file limit ({files.MaxFileBytes} bytes, --max-file-bytes)");
            }
        }

        var built = new List<RunnablePipeline>();
        try
        {
            var context = new ModelProviderContext { BaseDirectory = Path.GetDirectoryName(job.PipelinePath) ?? ".", Catalog = _catalog, Files = files };
            var pipeline = BuildJobPipeline(job, context, files);
            built.Add(pipeline);
            RunnablePipeline Load(string path)
            {
                var (loaded, diagnostics) = PipelineFactory.Build(path, _catalog, _cache.Apply(), context with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))! });
                if (loaded is null)
                {
                    throw new DiagnosticException([.. diagnostics.Where(d => d.IsError)]);
                }

                built.Add(loaded);
                return loaded;
            }

            var scorer = ScorerFactory.Create(job.Scorer, Load, job.Baseline, job.Seed,
                ScorerOptions.Default with { ProgramTimeout = TimeSpan.FromSeconds(job.ScorerTimeoutSeconds) });
            return (pipeline, scorer, null);
        }
        catch (DiagnosticException ex)
        {
            foreach (var pipeline in built)
            {
                pipeline.Dispose();
            }

            return (null, null, $"silo '{_models.Options.Name}' cannot build the pipeline: {string.Join("; ", ex.Diagnostics.Where(d => d.IsError).Select(d => d.ToString()))}");
        }
    }

    private RunnablePipeline BuildJobPipeline(EvalJob job, ModelProviderContext context, FileAccessPolicy files)
    {
        var (spec, diagnostics) = ClusterEvaluation.Read(job, _catalog.Techniques);
        if (spec is null || diagnostics.Any(d => d.IsError))
        {
            throw new DiagnosticException([.. diagnostics.Where(d => d.IsError)]);
        }

        var compiled = PipelineCompiler.Compile(spec, _catalog, context with { Files = files });
        if (!compiled.Success)
        {
            throw new DiagnosticException([.. compiled.Diagnostics.Where(d => d.IsError)]);
        }

        var (pipeline, built) = RunnablePipeline.Build(compiled.Graph!, _catalog, context, _cache.Apply());
        return pipeline ?? throw new DiagnosticException([.. built.Where(d => d.IsError)]);
    }

    private static FileAccessPolicy Files(EvalJob job)
    {
        var policy = FileAccessPolicy.Default.WithLimits(job.MaxFileBytes, job.MaxDataBytes);
        return job.AllowedPaths.IsDefaultOrEmpty ? policy : policy.Allow([.. job.AllowedPaths]);
    }

    /// <summary>Releases idle jobs beyond the limit, least recently used first (under <see cref="_gate"/>).</summary>
    private void Trim()
    {
        while (_jobs.Count > _models.Options.MaxJobs
            && _jobs.Values.Where(j => j.InFlight == 0).OrderBy(j => j.LastUsed).FirstOrDefault() is { } idle)
        {
            _jobs.Remove(idle.Spec.Id);
            idle.Dispose();
        }
    }

    private sealed class Job(EvalJob spec, Func<EvalJob, (RunnablePipeline?, IScorer?, string?)> build) : IDisposable
    {
        public int InFlight;

        public EvalJob Spec { get; } = spec;

        public Lazy<(RunnablePipeline? Pipeline, IScorer? Scorer, string? Error)> Built { get; } = new(() => build(spec));

        public long LastUsed { get; set; } = Environment.TickCount64;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Spec.Id} ({InFlight} in flight)");

        public void Dispose()
        {
            if (Built.IsValueCreated)
            {
                Built.Value.Pipeline?.Dispose();
            }
        }
    }
}
