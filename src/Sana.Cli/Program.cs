using System.CommandLine;
using Sana.Cli;
using Sana.Cli.Commands;
using Sana.Cli.Commands.Bench;

using var interrupts = new Interrupts();
var root = new RootCommand("sana: generate images in bulk with Sana models on ONNX Runtime and an Orleans cluster of GPUs")
{
    GenerateCommand.Create(interrupts),
    CancelCommand.Create(),
    SiloCommand.Create(),
    WorkersCommand.Create(),
    BenchCommand.Create(),
};
SiloCommand.UseSettingsHelp(root);
var parse = root.Parse(args);
if (CommandLineErrors.Describe(parse) is { } error)
{
    await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
    return ExitCodes.BadInput;
}

return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupts.Token).ConfigureAwait(false);
