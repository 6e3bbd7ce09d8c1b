using System.Text.RegularExpressions;
using Compose.Models.Providers;
using Compose.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

// A Semantic Kernel app whose chat completion service is a Compose pipeline (three drafts, fused).
// The pipeline's model is the app's own chat client, registered under the key "writer": here a
// scripted stand-in, so the example runs offline; in a real app, any IChatClient (OpenAI, Ollama, ONNX...).
var baseDir = AppContext.BaseDirectory;
IChatClient writer = new ScriptedChatClient(
    [
        new ScriptedRule(new Regex("^You have been given", RegexOptions.None, TimeSpan.FromSeconds(1)),
            ["Paris is the capital of France; it has been since the tenth century."]),
        new ScriptedRule(new Regex("capital of France", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)),
            ["Paris.", "The capital of France is Paris.", "Paris, on the Seine."]),
    ],
    "I can only talk about the capital of France.",
    TimeSpan.FromMilliseconds(20),
    "writer");

var builder = Kernel.CreateBuilder();
builder.Services.AddKeyedChatClient("writer", writer);
var options = new ComposePipelineOptions { ModelsFile = Path.Combine(baseDir, "host-models.yaml") };
builder.AddComposePipeline(Path.Combine(baseDir, "pipelines", "answer.yaml"), options: options);
builder.AddComposePipelinePlugin(Path.Combine(baseDir, "pipelines", "answer.yaml"), "research", options);
var kernel = builder.Build();

// 1. A prompt function: the kernel's chat service is the pipeline. Seed and budget go in the execution settings.
var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["seed"] = 7, ["max_calls"] = 4 } };
var ask = kernel.CreateFunctionFromPrompt("Answer in one sentence: what is the {{$topic}}?", settings);
var result = await kernel.InvokeAsync(ask, new KernelArguments { ["topic"] = "capital of France" });
Console.WriteLine($"prompt function: {result.GetValue<string>()}");
if (result.Metadata?.TryGetValue("Usage", out var usage) == true && usage is UsageDetails u)
{
    Console.WriteLine($"usage: {u.InputTokenCount} input + {u.OutputTokenCount} output tokens over the whole pipeline");
}

// 2. Streaming: the fuse (the final technique) streams its tokens.
Console.Write("streaming: ");
await foreach (var chunk in kernel.InvokeStreamingAsync<string>(ask, new KernelArguments { ["topic"] = "capital of France" }))
{
    Console.Write(chunk);
}

Console.WriteLine();

// 3. The pipeline as a plugin function, invoked by name.
var answer = await kernel.InvokeAsync<string>("research", ComposeKernelFunctions.AskFunctionName,
    new KernelArguments { ["question"] = "What is the capital of France?", ["seed"] = 1 });
Console.WriteLine($"plugin research.ask: {answer}");
