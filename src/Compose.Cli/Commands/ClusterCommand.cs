using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Compose.Cluster;
using Compose.Evaluation.Running;
using Compose.Language;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Compose.Cli.Commands;

/// <summary>
/// <c>compose cluster silo</c>: run a silo of a Compose cluster on this machine (hosting local models, answering items);
/// <c>compose cluster status</c>: the silos of a cluster and what they host. docs/cluster.md.
/// </summary>
internal static class ClusterCommand
{
    /// <summary>The <c>--cluster HOST:PORT</c> option of eval, search and serve.</summary>
    public static Option<string?> ConnectionOption() => new("--cluster")
    {
        Description = "Run on a Compose cluster: the Redis (HOST:PORT) its silos were started with (compose cluster silo; docs/cluster.md).",
    };

    /// <summary>The <c>--cluster-id</c> option: which cluster in that Redis.</summary>
    public static Option<string> ClusterIdOption() => new("--cluster-id")
    {
        Description = "The cluster's id in its Redis (letters, digits, '-', '_').",
        DefaultValueFactory = _ => "compose",
    };

    public static Command Create(CliConsole console)
    {
        var command = new Command("cluster", "Run Compose on several machines: start a silo, or show the silos of a cluster (docs/cluster.md).")
        {
            Silo(console),
            Status(console),
        };
        return command;
    }

    private static Command Silo(CliConsole console)
    {
        var connection = new Option<string>("--cluster") { Description = "The cluster's Redis (HOST:PORT): membership, the shared response cache and studies.", Required = true };
        var clusterId = ClusterIdOption();
        var address = new Option<string>("--address") { Description = "The address other machines reach this silo at.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The silo-to-silo port.", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "The port coordinators (eval, search, serve) connect to.", DefaultValueFactory = _ => 30000 };
        var models = new Option<string?>("--models") { Description = "A models file (pipeline 'models:' syntax): the models this silo hosts; other silos' calls to them come here." };
        var concurrency = new Option<int>("--model-concurrency") { Description = "Calls this silo runs at once per model: its capacity.", DefaultValueFactory = _ => 4 };
        var name = new Option<string>("--name") { Description = "The silo's name in status and logs.", DefaultValueFactory = _ => Environment.MachineName };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least severe Orleans log level on stderr.", DefaultValueFactory = _ => LogLevel.Warning };
        var command = new Command("silo", "Run a silo: host local models and answer benchmark items for the cluster until SIGINT/SIGTERM.")
        {
            connection, clusterId, address, port, gatewayPort, models, concurrency, name, logLevel,
        };
        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<Diagnostic>();
            if (!IPAddress.TryParse(parse.GetValue(address), out var ip))
            {
                problems.Add(Bad("--address", $"'{parse.GetValue(address)}' is not an IP address", "Give the address other machines reach this one at, for example 10.0.0.5 (127.0.0.1 for a cluster on one machine)."));
            }

            foreach (var (option, value) in new[] { ("--port", parse.GetValue(port)), ("--gateway-port", parse.GetValue(gatewayPort)) })
            {
                if (value is < 1 or > 65535)
                {
                    problems.Add(Bad(option, $"{value} is not a port", "Give a port from 1 to 65535."));
                }
            }

            if (parse.GetValue(concurrency) is < 1 or > 4096)
            {
                problems.Add(Bad("--model-concurrency", $"{parse.GetValue(concurrency)} is out of range", "Give 1 to 4096 calls at once per model."));
            }

            var (hosted, modelProblems) = CommandSupport.ReadModels(parse.GetValue(models), parse);
            problems.AddRange(modelProblems);
            ClusterConnection? cluster = null;
            try
            {
                cluster = ClusterConnection.Parse(parse.GetValue(connection)!, parse.GetValue(clusterId)!);
            }
            catch (DiagnosticException ex)
            {
                problems.AddRange(ex.Diagnostics);
            }

            DiagnosticPrinter.Print(console.Error, problems);
            if (problems.Any(d => d.IsError))
            {
                return ExitCodes.BadInput;
            }

            var options = new ComposeSiloOptions
            {
                Name = parse.GetValue(name)!,
                Models = hosted,
                ModelConcurrency = parse.GetValue(concurrency),
                Catalog = TechniqueOptions.Catalog(parse),
                Files = CommandSupport.Files(parse),
            };
            IHost host;
            try
            {
                host = await ComposeSilo.StartAsync(options, cluster!, new SiloEndpoints(ip!, parse.GetValue(port), parse.GetValue(gatewayPort)), parse.GetValue(logLevel), ct).ConfigureAwait(false);
            }
            catch (DiagnosticException ex)
            {
                DiagnosticPrinter.Print(console.Error, ex.Diagnostics);
                return ExitCodes.BadInput;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
            {
                await console.Error.WriteLineAsync(Unreachable(cluster!, ex)).ConfigureAwait(false);
                return ExitCodes.RunFailed;
            }

            using (host)
            {
                var list = hosted.IsDefaultOrEmpty ? "no models of its own" : "models " + string.Join(", ", hosted.Select(m => $"{m.Name} ({ModelIdentity.Of(m)})"));
                await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"compose: silo '{options.Name}' joined cluster '{cluster!.ClusterId}' ({cluster.Display}) at {ip}:{parse.GetValue(port)}, gateway {parse.GetValue(gatewayPort)}; hosts {list}; {options.ModelConcurrency} calls at once per model")).ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // SIGINT/SIGTERM: leave the cluster politely so others need not detect the loss
                }

                await console.Error.WriteLineAsync($"compose: silo '{options.Name}' leaving the cluster").ConfigureAwait(false);
                await host.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status(CliConsole console)
    {
        var connection = new Option<string>("--cluster") { Description = "The cluster's Redis (HOST:PORT).", Required = true };
        var clusterId = ClusterIdOption();
        var json = new Option<bool>("--json") { Description = "Print the silos as JSON." };
        var command = new Command("status", "The active silos of a cluster: address, name, hosted models, capacity, calls and items answered.")
        {
            connection, clusterId, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (client, code) = await ConnectAsync(console, parse.GetValue(connection)!, parse.GetValue(clusterId)!, ct).ConfigureAwait(false);
            if (client is null)
            {
                return code;
            }

            await using (client.ConfigureAwait(false))
            {
                var silos = await client.SilosAsync().ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    await console.Out.WriteLineAsync(JsonSerializer.Serialize(silos.Select(s => new
                    {
                        address = s.Address,
                        name = s.Name,
                        models = s.Models.Keys.Order(StringComparer.Ordinal),
                        model_concurrency = s.ModelConcurrency,
                        calls = s.Calls,
                        items = s.Items,
                    }), CliJson.Options)).ConfigureAwait(false);
                }
                else
                {
                    await console.Out.WriteLineAsync($"{silos.Count} silo(s) in cluster '{parse.GetValue(clusterId)}'").ConfigureAwait(false);
                    foreach (var s in silos)
                    {
                        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"  {s.Name,-16} {s.Address,-28} models: {(s.Models.IsEmpty ? "-" : string.Join(",", s.Models.Keys.Order(StringComparer.Ordinal)))}  capacity {s.ModelConcurrency}/model  calls {s.Calls}  items {s.Items}")).ConfigureAwait(false);
                    }
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Connects a coordinator; prints the problem and returns a null client and the exit code when it cannot.</summary>
    public static async Task<(ComposeClusterClient? Client, int Code)> ConnectAsync(CliConsole console, string redis, string clusterId, CancellationToken ct)
    {
        ClusterConnection cluster;
        try
        {
            cluster = ClusterConnection.Parse(redis, clusterId);
        }
        catch (DiagnosticException ex)
        {
            DiagnosticPrinter.Print(console.Error, ex.Diagnostics);
            return (null, ExitCodes.BadInput);
        }

        try
        {
            return (await ComposeClusterClient.ConnectAsync(cluster, ct).ConfigureAwait(false), ExitCodes.Success);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
        {
            await console.Error.WriteLineAsync(Unreachable(cluster, ex)).ConfigureAwait(false);
            return (null, ExitCodes.RunFailed);
        }
    }

    /// <summary>
    /// Evaluates each pipeline on the cluster: its job checked here first (models hosted on silos checked there),
    /// items spread over the silos, results appended to the same results files as a local evaluation.
    /// </summary>
    public static async Task<List<EvalReport>?> EvaluateAsync(
        CliConsole console, ComposeClusterClient client, ParseResult parse, IReadOnlyList<string> paths, string? modelsFile, string benchmarkPath,
        string scorer, string? baseline, double scorerTimeout, long seed, Func<int, (string ResultsPath, string Fingerprint)> results, int? limit, int concurrency, int total,
        CancellationToken ct)
    {
        var silos = await client.SilosAsync().ConfigureAwait(false);
        if (silos.Count == 0)
        {
            await console.Error.WriteLineAsync($"--cluster: error {ClusterDiagnosticCodes.ClusterUnreachable}: no silo of cluster '{client.Connection?.ClusterId}' is up\n  hint: Start silos with compose cluster silo --cluster {client.Connection?.Display} (docs/cluster.md).").ConfigureAwait(false);
            return null;
        }

        var files = CommandSupport.Files(parse);
        var modelsText = modelsFile is null ? null : await File.ReadAllTextAsync(modelsFile, ct).ConfigureAwait(false);
        var jobs = new List<EvalJob>();
        foreach (var path in paths)
        {
            var job = ClusterEvaluation.Job(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), path, modelsText, modelsFile, scorer, baseline, scorerTimeout, seed, files);
            var diagnostics = ClusterEvaluation.Check(job, TechniqueOptions.Catalog(parse), silos, files);
            DiagnosticPrinter.Print(console.Error, PipelineFactoryDiagnostics(diagnostics));
            if (diagnostics.Any(d => d.IsError))
            {
                return null;
            }

            jobs.Add(job);
        }

        await console.Error.WriteLineAsync($"cluster '{client.Connection?.ClusterId}': {silos.Count} silo(s): {string.Join(", ", silos.Select(s => s.Name))}").ConfigureAwait(false);
        var reports = new List<EvalReport>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var (resultsPath, fingerprint) = results(i);
            var progress = new ProgressLine(console, Path.GetFileNameWithoutExtension(paths[i]));
            var before = client.Dispatcher.AnsweredBySilo.ToDictionary();
            var report = await Evaluator.RunAsync(Path.GetFileNameWithoutExtension(paths[i]), ClusterEvaluation.Evaluate(client.Dispatcher, jobs[i]), benchmarkPath, new EvalOptions
            {
                Seed = seed,
                Limit = limit,
                Concurrency = concurrency,
                ResultsPath = resultsPath,
                Fingerprint = fingerprint,
                Files = files,
                Progress = progress.For(total),
            }, ct).ConfigureAwait(false);
            progress.Finish();
            reports.Add(report);
            var spread = client.Dispatcher.AnsweredBySilo.Select(s => (Silo: silos.FirstOrDefault(v => v.Address == s.Key)?.Name ?? s.Key, Count: s.Value - before.GetValueOrDefault(s.Key)))
                .Where(s => s.Count > 0).OrderBy(s => s.Silo, StringComparer.Ordinal);
            await console.Error.WriteLineAsync($"{paths[i]}: items answered per silo: {string.Join(", ", spread.Select(s => $"{s.Silo} {s.Count}"))}{(client.Dispatcher.Moved > 0 ? $"; {client.Dispatcher.Moved} sent again after their silo was lost" : "")}").ConfigureAwait(false);
        }

        return reports;
    }

    private static IEnumerable<Diagnostic> PipelineFactoryDiagnostics(IEnumerable<Diagnostic> diagnostics) =>
        diagnostics.DistinctBy(d => (d.Code, d.Severity, d.Message, d.Location));

    private static Diagnostic Bad(string option, string message, string hint) =>
        Diagnostic.Error(ClusterDiagnosticCodes.BadClusterOption, new SourceLocation(option, 0, 0), message, hint);

    private static string Unreachable(ClusterConnection cluster, Exception ex) =>
        $"--cluster: error {ClusterDiagnosticCodes.ClusterUnreachable}: cannot join cluster '{cluster.ClusterId}' at {cluster.Display}: {SecretFree(ex.Message)}\n  hint: Start Redis there (redis-server --port PORT) and silos with compose cluster silo (docs/cluster.md); check the host, port and --cluster-id.";

    private static string SecretFree(string message) => System.Text.RegularExpressions.Regex.Replace(message, "password=[^,;\\s]*", "password=***", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
}
