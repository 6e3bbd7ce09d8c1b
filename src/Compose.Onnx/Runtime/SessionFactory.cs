using System.Collections.Immutable;
using Compose.Onnx.Config;
using Microsoft.ML.OnnxRuntime;

namespace Compose.Onnx.Runtime;

/// <summary>Creates the ONNX Runtime session for a decoder file, turning runtime failures into diagnostics.</summary>
internal static class SessionFactory
{
    /// <summary>genai_config.json provider names, the ONNX Runtime provider they need, and the package that has it.</summary>
    private static readonly ImmutableDictionary<string, (string OrtName, string Package)> KnownProviders =
        new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase)
        {
            ["cpu"] = ("CPUExecutionProvider", "Microsoft.ML.OnnxRuntime"),
            ["cuda"] = ("CUDAExecutionProvider", "Microsoft.ML.OnnxRuntime.Gpu (Linux/Windows, with CUDA 12 and cuDNN 9)"),
            ["dml"] = ("DmlExecutionProvider", "Microsoft.ML.OnnxRuntime.DirectML (Windows)"),
            ["rocm"] = ("ROCMExecutionProvider", "a ROCm build of ONNX Runtime"),
            ["qnn"] = ("QNNExecutionProvider", "Microsoft.ML.OnnxRuntime.QNN"),
            ["openvino"] = ("OpenVINOExecutionProvider", "Intel.ML.OnnxRuntime.OpenVino"),
            ["coreml"] = ("CoreMLExecutionProvider", "Microsoft.ML.OnnxRuntime on macOS/iOS"),
            ["webgpu"] = ("WebGpuExecutionProvider", "a WebGPU build of ONNX Runtime"),
        }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when this build's ONNX Runtime has the CUDA execution provider (the Microsoft.ML.OnnxRuntime.Gpu package).</summary>
    public static bool HasCuda
    {
        get
        {
            try
            {
                return OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
            {
                return false;
            }
        }
    }

    public static IEnumerable<string> ProviderNames => KnownProviders.Keys.Order(StringComparer.Ordinal);

    public static bool IsKnownProvider(string name) => KnownProviders.ContainsKey(name);

    /// <summary>The providers to use: the override if given, else the folder's provider_options, else CPU.</summary>
    public static ImmutableArray<ExecutionProviderConfig> Resolve(GenAiConfig config, string? overrideName) =>
        overrideName is not null
            ? [new ExecutionProviderConfig(overrideName.ToLowerInvariant(), config.Providers.FirstOrDefault(p => p.Name == overrideName.ToLowerInvariant())?.Options ?? ImmutableDictionary<string, string>.Empty)]
            : config.Providers.IsEmpty ? [new ExecutionProviderConfig("cpu", ImmutableDictionary<string, string>.Empty)] : config.Providers;

    public static InferenceSession Create(string modelFile, GenAiConfig config, ImmutableArray<ExecutionProviderConfig> providers, int? intraOpThreads)
    {
        if (!File.Exists(modelFile))
        {
            throw OnnxErrors.Fail(OnnxErrors.MissingFile, modelFile, $"The decoder file '{Path.GetFileName(modelFile)}' named by genai_config.json does not exist.",
                "Check model.decoder.filename in genai_config.json.");
        }

        OnnxErrors.RequireRegular(modelFile);
        using var options = new SessionOptions();
        try
        {
            foreach (var (key, value) in config.SessionOptions)
            {
                switch (key)
                {
                    case "intra_op_num_threads" when int.TryParse(value, out var n):
                        options.IntraOpNumThreads = n;
                        break;
                    case "inter_op_num_threads" when int.TryParse(value, out var n):
                        options.InterOpNumThreads = n;
                        break;
                    case "log_id":
                        options.LogId = value;
                        break;
                    default:
                        if (key.Contains('.', StringComparison.Ordinal) && value.Length > 0)
                        {
                            options.AddSessionConfigEntry(key, value);
                        }

                        break;
                }
            }

            if (intraOpThreads is { } threads)
            {
                options.IntraOpNumThreads = threads;
            }

            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            AppendProviders(options, providers, modelFile);
        }
        catch (OnnxRuntimeException e)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadConfig, Path.Combine(Path.GetDirectoryName(modelFile)!, GenAiConfigReader.FileName), $"Session options were rejected by ONNX Runtime: {e.Message}");
        }

        try
        {
            return new InferenceSession(modelFile, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw OnnxErrors.Fail(OnnxErrors.BadOnnxFile, modelFile, $"ONNX Runtime could not load '{Path.GetFileName(modelFile)}': {Trim(e.Message)}",
                "The file is corrupt, truncated, or its external data file is missing; re-export or re-download the model.");
        }
    }

    private static void AppendProviders(SessionOptions options, ImmutableArray<ExecutionProviderConfig> providers, string modelFile)
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        var config = Path.Combine(Path.GetDirectoryName(modelFile)!, GenAiConfigReader.FileName);
        foreach (var p in providers)
        {
            if (!KnownProviders.TryGetValue(p.Name, out var known))
            {
                throw OnnxErrors.Fail(OnnxErrors.BadOption, config, $"Unknown execution provider '{p.Name}'.", $"Known: {string.Join(", ", ProviderNames)}.");
            }

            if (p.Name == "cpu")
            {
                continue;
            }

            if (!available.Contains(known.OrtName))
            {
                throw OnnxErrors.Fail(OnnxErrors.ProviderUnavailable, config,
                    $"The '{p.Name}' execution provider ({known.OrtName}) is not in this ONNX Runtime build (it has: {string.Join(", ", available)}).",
                    $"Reference the package {known.Package} instead of Microsoft.ML.OnnxRuntime, or use `execution_provider: cpu`.");
            }

            if (p.Name == "cuda")
            {
                var device = p.Options.TryGetValue("device_id", out var d) && int.TryParse(d, out var id) ? id : 0;
                options.AppendExecutionProvider_CUDA(device);
            }
            else
            {
                options.AppendExecutionProvider(known.OrtName.Replace("ExecutionProvider", "", StringComparison.Ordinal), p.Options.ToDictionary());
            }
        }
    }

    private static string Trim(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 400 ? line[..400] + "..." : line;
    }
}
