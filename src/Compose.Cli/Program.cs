using Compose.Cli;

return await ComposeApp.RunAsync(args, new CliConsole(Console.Out, Console.Error, Console.In, Console.IsInputRedirected, Console.IsOutputRedirected || Console.IsErrorRedirected));
