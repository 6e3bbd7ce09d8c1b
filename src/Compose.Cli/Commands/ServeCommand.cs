using System.Collections.Immutable;
using System.CommandLine;
using Compose.Cluster;
using Compose.Evaluation.Caching;
using Compose.Language;
using Compose.Runtime;
using Compose.Serving;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Compose.Cli.Commands;

/// <summary>
/// <c>compose serve FILES... --urls http://127.0.0.1:PORT</c>: serve pipelines as an OpenAI-compatible
/// model endpoint (one model per pipeline, named after it) until SIGINT/SIGTERM. With <c>--cluster</c> it is one of
/// several front ends over a Compose cluster: models hosted on silos are called there, and every model's responses
/// go through the cluster's shared cache in Redis (docs/cluster.md).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliConsole console)
    {
        var files = new Argument<string[]>("files") { Description = "The pipeline files to serve; each is a model named after its pipeline.", Arity = ArgumentArity.OneOrMore };
        var urls = new Option<string>("--urls") { Description = "Where to listen; several separated by ';'.", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var apiKeyEnv = new Option<string?>("--api-key-env") { Description = "Require 'Authorization: Bearer KEY', KEY read from this environment variable." };
        var maxConcurrency = new Option<int>("--max-concurrency") { Description = "Chat completions running at once; more wait in a queue.", DefaultValueFactory = _ => 64 };
        var queueLimit = new Option<int>("--queue-limit") { Description = "Requests that may wait for a slot; beyond it: 429.", DefaultValueFactory = _ => 512 };
        var maxRequestBytes = new Option<long>("--max-request-bytes") { Description = "Largest request body in bytes; larger: 413.", DefaultValueFactory = _ => 1024 * 1024 };
        var bodyTimeout = new Option<double>("--body-timeout-seconds") { Description = "Time a client has to send the whole request body, after its headers; later: 408.", DefaultValueFactory = _ => 10 };
        var maxConnections = new Option<long>("--max-connections") { Description = "Open connections at once; more are closed on arrival.", DefaultValueFactory = _ => 1024 };
        var logFormat = new Option<string>("--log-format") { Description = "Console log format: text or json.", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least severe log level: Trace, Debug, Information, Warning, Error.", DefaultValueFactory = _ => LogLevel.Information };
        var models = CommandSupport.ModelsOption();
        var cluster = ClusterCommand.ConnectionOption();
        var clusterId = ClusterCommand.ClusterIdOption();
        var command = new Command("serve", "Serve pipelines as an OpenAI-compatible endpoint: /v1/chat/completions (streaming and not) and /v1/models.")
        {
            files, urls, apiKeyEnv, maxConcurrency, queueLimit, maxRequestBytes, bodyTimeout, maxConnections, logFormat, logLevel, models, cluster, clusterId,
        };
        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<Diagnostic>();
            string? apiKey = null;
            if (parse.GetValue(apiKeyEnv) is { } variable)
            {
                apiKey = console.Environment(variable);
                if (string.IsNullOrEmpty(apiKey))
                {
                    problems.Add(Diagnostic.Error(ServingDiagnosticCodes.ApiKeyMissing, new SourceLocation("--api-key-env", 0, 0),
                        $"the environment variable '{variable}' (--api-key-env) is not set or empty", $"Set it to the key clients must send, e.g. export {variable}=...; the key is never printed."));
                }
            }

            var options = new ServeOptions
            {
                Urls = parse.GetValue(urls)!,
                ApiKey = apiKey,
                MaxConcurrentRequests = parse.GetValue(maxConcurrency),
                QueueLimit = parse.GetValue(queueLimit),
                MaxRequestBodyBytes = parse.GetValue(maxRequestBytes),
                BodyTimeout = parse.GetValue(bodyTimeout) is var seconds && double.IsFinite(seconds) && seconds is >= 1 and <= 3600
                    ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(10), // out of range: CheckLimits reports it
                MaxConnections = parse.GetValue(maxConnections),
                JsonLogs = parse.GetValue(logFormat) == "json",
                LogLevel = parse.GetValue(logLevel),
            };
            problems.AddRange(CheckLimits(options, parse.GetValue(bodyTimeout)));
            if (ComposeServer.CheckUrls(options.Urls) is { } badUrl)
            {
                // One line, with the fix in it: the server never starts.
                problems.Add(Diagnostic.Error(ServingDiagnosticCodes.BadUrls, new SourceLocation("--urls", 0, 0), badUrl));
            }

            var (bindings, bindingProblems) = CommandSupport.ReadModels(parse.GetValue(models), parse);
            problems.AddRange(bindingProblems);
            if (problems.Any(d => d.IsError))
            {
                DiagnosticPrinter.Print(console.Error, problems);
                return ExitCodes.BadInput;
            }

            ComposeClusterClient? client = null;
            ClientModelRouting? routing = null;
            IDistributedCache? sharedCache = null;
            var pipelines = new List<RunnablePipeline>();
            try
            {
                var catalog = TechniqueOptions.Catalog(parse);
                var buildOptions = PipelineBuildOptions.Default;
                if (parse.GetValue(cluster) is { } connection)
                {
                    int code;
                    (client, code) = await ClusterCommand.ConnectAsync(console, connection, parse.GetValue(clusterId)!, ct).ConfigureAwait(false);
                    if (client is null)
                    {
                        return code;
                    }

                    try
                    {
                        routing = await ClientModelRouting.StartAsync(client, cancellationToken: ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
                    {
                        await console.Error.WriteLineAsync($"--cluster: error {ClusterDiagnosticCodes.ClusterUnreachable}: cannot read the silos of cluster '{client.Connection?.ClusterId}': {ex.Message.Split('\n')[0]}\n  hint: Check the silos with compose cluster status --cluster {client.Connection?.Display} (docs/cluster.md).").ConfigureAwait(false);
                        return ExitCodes.RunFailed;
                    }

                    if (routing.Silos.Count == 0)
                    {
                        await console.Error.WriteLineAsync($"--cluster: error {ClusterDiagnosticCodes.ClusterUnreachable}: no silo of cluster '{client.Connection?.ClusterId}' is up\n  hint: Start silos with compose cluster silo --cluster {client.Connection?.Display} (docs/cluster.md); a front end serves the models they host.").ConfigureAwait(false);
                        return ExitCodes.RunFailed;
                    }

                    // Models hosted on silos are called there; the cluster's response cache in Redis sits in front of every model.
                    catalog = ClusterModelProvider.Wrap(catalog, routing);
                    sharedCache = ComposeSilo.RedisCache(client.Connection!);
                    buildOptions = new ResponseCache(sharedCache).Apply(buildOptions);
                }

                foreach (var path in parse.GetValue(files)!)
                {
                    var (pipeline, diagnostics) = PipelineFactory.Build(path, catalog, buildOptions, CommandSupport.Context(path, console, parse) with { Catalog = catalog }, bindings);
                    problems.AddRange(diagnostics);
                    if (pipeline is null)
                    {
                        continue;
                    }

                    if (pipelines.Find(p => p.Spec.Name == pipeline.Spec.Name) is { } same)
                    {
                        problems.Add(Diagnostic.Error(ServingDiagnosticCodes.DuplicateModel, pipeline.Spec.Location,
                            $"two pipelines are named '{pipeline.Spec.Name}' (the other is {same.Spec.Location.File}); each served pipeline is a model named after it",
                            "Give each pipeline a distinct 'name:'."));
                        pipeline.Dispose();
                        continue;
                    }

                    pipelines.Add(pipeline);
                }

                DiagnosticPrinter.Print(console.Error, problems);
                if (problems.Any(d => d.IsError))
                {
                    return ExitCodes.BadInput;
                }

                if (client is not null)
                {
                    await console.Error.WriteLineAsync(ClusterLine(client, routing!, pipelines)).ConfigureAwait(false);
                }

                return await ServeAsync(console, pipelines, options, ct).ConfigureAwait(false);
            }
            finally
            {
                foreach (var pipeline in pipelines)
                {
                    pipeline.Dispose();
                }

                (sharedCache as IDisposable)?.Dispose();
                if (routing is not null)
                {
                    await routing.DisposeAsync().ConfigureAwait(false);
                }

                if (client is not null)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    /// <summary>What a front end found in the cluster: its silos, and which served models run on them.</summary>
    private static string ClusterLine(ComposeClusterClient client, ClientModelRouting routing, IReadOnlyList<RunnablePipeline> pipelines)
    {
        var remote = pipelines.SelectMany(p => p.Spec.Models)
            .Select(m => (m.Name, Id: ModelIdentity.Of(m)))
            .Where(m => routing.HostedElsewhere(m.Id) is not null)
            .Select(m => $"{m.Name} ({m.Id})").Distinct().Order(StringComparer.Ordinal).ToList();
        return $"compose serve: front end of cluster '{client.Connection?.ClusterId}' ({client.Connection?.Display}): {routing.Silos.Count} silo(s): {string.Join(", ", routing.Silos.Select(s => s.Name))}; "
            + (remote.Count == 0 ? "no served model is hosted there (all run here)" : $"models called on silos: {string.Join(", ", remote)}")
            + "; responses shared through the cluster's cache";
    }

    private static IEnumerable<Diagnostic> CheckLimits(ServeOptions options, double bodyTimeoutSeconds)
    {
        var at = new SourceLocation("compose serve", 0, 0);
        if (options.MaxConcurrentRequests is < 1 or > 100_000)
        {
            yield return Diagnostic.Error(ServingDiagnosticCodes.BadLimit, at, "--max-concurrency must be between 1 and 100000", "For example: --max-concurrency 64");
        }

        if (options.QueueLimit is < 0 or > 1_000_000)
        {
            yield return Diagnostic.Error(ServingDiagnosticCodes.BadLimit, at, "--queue-limit must be between 0 and 1000000", "For example: --queue-limit 512");
        }

        if (options.MaxRequestBodyBytes < 1024)
        {
            yield return Diagnostic.Error(ServingDiagnosticCodes.BadLimit, at, "--max-request-bytes must be at least 1024", "For example: --max-request-bytes 1048576");
        }

        if (!double.IsFinite(bodyTimeoutSeconds) || bodyTimeoutSeconds is < 1 or > 3600)
        {
            yield return Diagnostic.Error(ServingDiagnosticCodes.BadLimit, at, "--body-timeout-seconds must be between 1 and 3600", "For example: --body-timeout-seconds 10");
        }

        if (options.MaxConnections is < 1 or > 1_000_000)
        {
            yield return Diagnostic.Error(ServingDiagnosticCodes.BadLimit, at, "--max-connections must be between 1 and 1000000", "For example: --max-connections 1024");
        }
    }

    private static async Task<int> ServeAsync(CliConsole console, IReadOnlyList<RunnablePipeline> pipelines, ServeOptions options, CancellationToken ct)
    {
        var app = ComposeServer.Build(pipelines, options);
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or FormatException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                // Port in use, an address this machine does not have, a privileged port: one line, no stack trace.
                var why = ex is IOException { InnerException: { } inner } && inner.Message.Contains("in use", StringComparison.OrdinalIgnoreCase)
                    ? "the address is already in use; choose another port or stop the process listening there"
                    : $"{OneLine(ex.Message)}; check the address (--urls http://127.0.0.1:8000)";
                var problem = Diagnostic.Error(ServingDiagnosticCodes.CannotListen, new SourceLocation("--urls", 0, 0), $"cannot listen on {options.Urls}: {why}");
                await console.Error.WriteLineAsync(problem.ToString()).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            await console.Out.WriteLineAsync($"compose serve: listening on {string.Join(", ", app.Urls)} (models: {string.Join(", ", pipelines.Select(p => p.Spec.Name))})").ConfigureAwait(false);
            await console.Out.FlushAsync(ct).ConfigureAwait(false);

            // SIGINT/SIGTERM stop the host: in-flight requests finish, new ones are refused.
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
        }

        await console.Out.WriteLineAsync("compose serve: stopped").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static string OneLine(string text) => text.Split('\n', '\r')[0].Trim().TrimEnd('.');
}
