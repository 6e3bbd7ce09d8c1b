using System.Globalization;
using System.Text;
using Compose.Tools.Arith;

// ArithTool export <checkpoint folder> <model folder>
// ArithTool eval <model folder> <benchmark.jsonl> <limit|all> <pipeline.yaml>...
//   prints a Markdown table: accuracy, calls and tokens per question, and pass@k from the first pipeline's samples.
if (args.Length >= 3 && args[0] == "export")
{
    var checkpoint = Checkpoint.Load(args[1]);
    ModelFolderWriter.Write(checkpoint, args[2]);
    var bytes = Directory.GetFiles(args[2]).Sum(f => new FileInfo(f).Length);
    Console.WriteLine($"wrote {args[2]}: {checkpoint.Layers} layers, hidden {checkpoint.Hidden}, {checkpoint.Heads} heads, mlp {checkpoint.Mlp}, " +
        $"{checkpoint.Tensors.Values.Sum(t => t.Data.Length):N0} parameters, {bytes:N0} bytes");
    var probe = Path.Combine(args[1], "probe.jsonl");
    if (File.Exists(probe))
    {
        var (agree, total, differences) = await ProbeCheck.RunAsync(probe, args[2], CancellationToken.None);
        Console.WriteLine($"greedy answers of the ONNX runner agree with PyTorch on {agree}/{total} probe questions");
        differences.ToList().ForEach(d => Console.WriteLine("  " + d));
        return differences.Count == 0 ? 0 : 1;
    }

    return 0;
}

if (args.Length >= 5 && args[0] == "eval")
{
    var items = BenchmarkItem.Load(args[2]);
    if (args[3] != "all")
    {
        items = [.. items.Take(int.Parse(args[3], CultureInfo.InvariantCulture))];
    }

    var catalog = Evaluation.Catalog(args[1]);
    var table = new StringBuilder();
    table.AppendLine($"{items.Count} questions of {args[2]}; model {args[1]}; seeds 1000 + question index.").AppendLine()
        .AppendLine("| pipeline | accuracy | calls / question | tokens / question | seconds |")
        .AppendLine("|---|---:|---:|---:|---:|");
    PipelineScore? coverage = null;
    foreach (var pipeline in args.Skip(4))
    {
        var score = await Evaluation.RunAsync(pipeline, catalog, items, parallel: 32, CancellationToken.None);
        var line = $"| {pipeline} | {Evaluation.Percent(score.Accuracy)} | {Evaluation.Number(score.Calls)} | {Evaluation.Number(score.Tokens)} | {score.Elapsed.TotalSeconds:0} |";
        Console.Error.WriteLine(line + (score.Failures > 0 ? $" ({score.Failures} runs failed)" : ""));
        table.AppendLine(line);
        if (coverage is null || score.Coverage.Length > coverage.Coverage.Length)
        {
            coverage = score;
        }
    }

    if (coverage is { Coverage.Length: > 1 })
    {
        table.AppendLine().AppendLine($"Coverage (pass@k, unbiased estimator over the {coverage.Coverage[^1].K} samples per question of {coverage.Pipeline}):").AppendLine()
            .AppendLine("| k | " + string.Join(" | ", coverage.Coverage.Select(c => c.K)) + " |")
            .AppendLine("|---|" + string.Concat(coverage.Coverage.Select(_ => "---:|")))
            .AppendLine("| pass@k | " + string.Join(" | ", coverage.Coverage.Select(c => Evaluation.Percent(c.PassAtK))) + " |");
    }

    Console.WriteLine(table);
    return 0;
}

Console.Error.WriteLine("usage: ArithTool export <checkpoint> <model folder> | eval <model folder> <benchmark.jsonl> <limit|all> <pipeline.yaml>...");
return 2;
