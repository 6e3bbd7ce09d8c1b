using Compose.Cli;

try
{
    return await ComposeApp.RunAsync(args, new CliConsole(Console.Out, Console.Error, Console.In, Console.IsInputRedirected, Console.IsOutputRedirected || Console.IsErrorRedirected));
}
finally
{
    // The loaded ONNX sessions (native memory) are released before the process ends, not left to the finalizer.
    ProviderSetup.Dispose();
}
