using System.CommandLine;
using Compose.Import;
using Compose.Language;

namespace Compose.Cli.Commands;

/// <summary>
/// <c>compose import archon FILE|DIR... [--out DIR] [--force]</c>: one pipeline file per Archon architecture (a
/// folder's <c>.json</c> files recursively, its subfolders mirrored under <c>--out</c>), with every diagnostic located
/// in the JSON file. An existing pipeline file is replaced only with <c>--force</c>, and the output says so.
/// </summary>
internal static class ImportCommand
{
    public static Command Create(CliConsole console)
    {
        var import = new Command("import", "Import architectures of other systems as pipeline files.");
        import.Subcommands.Add(Archon(console));
        return import;
    }

    private static Command Archon(CliConsole console)
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Archon JSON files, or folders searched recursively for *.json.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the pipeline files; a folder's subfolders are mirrored under it.", DefaultValueFactory = _ => "." };
        var force = new Option<bool>("--force") { Description = "Replace pipeline files that already exist (without it they are left alone and the import fails)." };
        var command = new Command("archon", "Import Archon architectures (JSON) as Compose pipelines: one .yaml per file, every problem located in the JSON.") { inputs, output, force };
        command.SetAction(async (parse, ct) =>
        {
            var outFolder = parse.GetValue(output)!;
            var replace = parse.GetValue(force);
            var jobs = new List<(string Source, string Target)>();
            var failed = 0;
            foreach (var input in parse.GetValue(inputs)!)
            {
                if (Directory.Exists(input))
                {
                    var files = Directory.EnumerateFiles(input, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                    if (files.Count == 0)
                    {
                        await console.Error.WriteLineAsync($"{input}: error: the folder holds no .json file").ConfigureAwait(false);
                        failed++;
                    }

                    jobs.AddRange(files.Select(f => (f, Path.Combine(outFolder, Path.ChangeExtension(Path.GetRelativePath(input, f), ".yaml")))));
                }
                else
                {
                    jobs.Add((input, Path.Combine(outFolder, Path.ChangeExtension(Path.GetFileName(input), ".yaml"))));
                }
            }

            int imported = 0, warnings = 0;
            foreach (var (source, target) in jobs)
            {
                ct.ThrowIfCancellationRequested();
                var result = ArchonImporter.Import(source, new ArchonImportOptions { SourceLabel = source.Replace('\\', '/') });
                DiagnosticPrinter.Print(console.Error, result.Diagnostics);
                warnings += result.Diagnostics.Count(d => !d.IsError);
                if (!result.Success)
                {
                    var errors = result.Diagnostics.Count(d => d.IsError);
                    await console.Error.WriteLineAsync($"{source}: not imported ({errors} error{(errors == 1 ? "" : "s")})").ConfigureAwait(false);
                    failed++;
                    continue;
                }

                var existed = File.Exists(target);
                if (existed && !replace)
                {
                    await console.Error.WriteLineAsync($"{source}: error: '{target}' already exists and was left alone; use --force to replace it").ConfigureAwait(false);
                    failed++;
                    continue;
                }

                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
                    await File.WriteAllTextAsync(target, result.PipelineYaml, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await console.Error.WriteLineAsync($"{source}: error: cannot write '{target}': {ex.Message}").ConfigureAwait(false);
                    failed++;
                    continue;
                }

                imported++;
                var calls = result.ArchonCalls == result.PipelineCalls
                    ? $"{result.PipelineCalls} calls per question, as in Archon"
                    : $"at most {result.PipelineCalls} calls per question; Archon makes {result.ArchonCalls} (see the warnings)";
                await console.Out.WriteLineAsync($"{source} -> {target}{(existed ? " (replaced)" : "")}: {calls}").ConfigureAwait(false);
            }

            var total = jobs.Count;
            await console.Out.WriteLineAsync($"imported {imported} of {total} file{(total == 1 ? "" : "s")}; {warnings} warning{(warnings == 1 ? "" : "s")}; {failed} failed").ConfigureAwait(false);
            return failed > 0 ? ExitCodes.BadInput : ExitCodes.Success;
        });
        return command;
    }
}
