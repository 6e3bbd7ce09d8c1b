using Compose.Tools.Arith;

// ArithTool export <checkpoint folder> <model folder> [--name LOG_ID]
//   writes the ONNX Runtime GenAI folder (llama layout) for a train.py checkpoint (tools/arith or tools/steps), then
//   checks the project's ONNX runner answers the probe questions (probe.jsonl beside the checkpoint) exactly as PyTorch did.
// The results table is measured with `compose eval` (see benchmarks/arith/README.md).
if (args.Length >= 3 && args[0] == "export")
{
    var checkpoint = Checkpoint.Load(args[1]);
    var name = args.Length >= 5 && args[3] == "--name" ? args[4] : "compose-arith";
    ModelFolderWriter.Write(checkpoint, args[2], name);
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

Console.Error.WriteLine("usage: ArithTool export <checkpoint> <model folder> [--name LOG_ID]");
return 2;
