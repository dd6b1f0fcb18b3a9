using Sana.Orleans.Silo.Gpus;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Tests;

public sealed class WorkerPlanTests
{
    private static readonly DiscoveredGpu[] TwoGpus = [new(1, "B", 81920, 40000), new(0, "A", 81920, 81000)];

    [Fact]
    public void Each_discovered_gpu_becomes_a_cuda_worker_in_index_order()
    {
        var workers = WorkerPlan.Build(new WorkerOptions { ModelPath = "/m" }, TwoGpus);

        Assert.Equal(["cuda:0", "cuda:1"], workers.Select(w => w.Device));
        Assert.Equal([0, 1], workers.Select(w => w.Index));
        Assert.All(workers, w => Assert.Equal("/m", w.ModelFolder));
    }

    [Fact]
    public void The_automatic_micro_batch_follows_free_memory_within_bounds()
    {
        var options = new WorkerOptions { MemoryPerImageMiB = 4096, MaxMicroBatch = 16 };

        Assert.Equal(16, WorkerPlan.MicroBatchFor(options, Inference.Pipeline.ExecutionDevice.Cuda(0), new DiscoveredGpu(0, "A", 143771, 140000)));
        Assert.Equal(9, WorkerPlan.MicroBatchFor(options, Inference.Pipeline.ExecutionDevice.Cuda(0), new DiscoveredGpu(0, "A", 81920, 40000)));
        Assert.Equal(1, WorkerPlan.MicroBatchFor(options, Inference.Pipeline.ExecutionDevice.Cuda(0), new DiscoveredGpu(0, "A", 8192, 100)));
        Assert.Equal(1, WorkerPlan.MicroBatchFor(options, Inference.Pipeline.ExecutionDevice.Cpu, null));
    }

    [Fact]
    public void A_configured_micro_batch_wins()
    {
        var workers = WorkerPlan.Build(new WorkerOptions { MicroBatch = 3 }, TwoGpus);

        Assert.All(workers, w => Assert.Equal(3, w.MicroBatch));
    }

    [Fact]
    public void Without_gpus_the_silo_gets_the_configured_number_of_cpu_workers()
    {
        Assert.Equal(["cpu"], WorkerPlan.Build(new WorkerOptions(), []).Select(w => w.Device));
        Assert.Equal(["cpu", "cpu", "cpu"], WorkerPlan.Build(new WorkerOptions { CpuWorkers = 3 }, []).Select(w => w.Device));
        Assert.Empty(WorkerPlan.Build(new WorkerOptions { CpuWorkers = 0 }, []));
    }

    [Fact]
    public void Cuda_provider_options_go_to_the_gpu_workers_and_not_to_a_cpu_worker()
    {
        var options = new WorkerOptions();
        options.Devices.Add("cuda:0");
        options.Devices.Add("cpu");
        options.CudaProviderOptions["prefer_nhwc"] = "0";

        var workers = WorkerPlan.Build(options, TwoGpus);

        Assert.Equal("0", workers[0].CudaProviderOptions["prefer_nhwc"]);
        Assert.Empty(workers[1].CudaProviderOptions);
    }

    [Fact]
    public void Explicit_devices_replace_discovery()
    {
        var options = new WorkerOptions();
        options.Devices.Add("cuda:1");
        options.Devices.Add("cpu");

        var workers = WorkerPlan.Build(options, TwoGpus);

        Assert.Equal(["cuda:1", "cpu"], workers.Select(w => w.Device));
        Assert.Equal([0, 1], workers.Select(w => w.Index));
    }
}
