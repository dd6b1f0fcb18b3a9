// The GPU VM scale set: one silo per VM (the silo turns every GPU it finds into a GPU grain), Ubuntu 24.04, no public
// addresses, a system-assigned identity for storage, cloud-init as custom data, terminate notifications so a VM that
// is scaled in or evicted stops its silo gracefully, and the Application Health extension probing the silo's
// loopback /health endpoint.

@description('Region of the scale set.')
param location string

@description('Prefix of resource names.')
param namePrefix string

@description('GPU VM size (checked against the allowed list in main.bicep).')
param vmSize string

@description('Number of VMs (silos).')
param instanceCount int

@description('Spot VMs (evictable, much cheaper) instead of regular ones.')
param useSpot bool

@description('Subnet of the silos.')
param subnetId string

@description('Linux admin user name.')
param adminUsername string

@description('SSH public key of the admin user; password login is off.')
param adminSshPublicKey string

@description('cloud-init document (plain text; encoded here).')
param cloudInit string

@description('OS disk size in GiB: drivers, CUDA libraries, the silo and the model folder live on it.')
param osDiskSizeGB int

@description('Port of the silo\'s loopback HTTP endpoint (/health).')
param httpPort int

@description('Replace instances the health probe reports unhealthy (after the grace period).')
param enableAutomaticRepairs bool

param tags object

resource vmss 'Microsoft.Compute/virtualMachineScaleSets@2024-07-01' = {
  name: '${namePrefix}-silos'
  location: location
  tags: tags
  sku: {
    name: vmSize
    tier: 'Standard'
    capacity: instanceCount
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    orchestrationMode: 'Uniform'
    // Overprovisioned extra VMs would start silos that join the cluster and are then deleted.
    overprovision: false
    singlePlacementGroup: false
    upgradePolicy: {
      mode: 'Manual'
    }
    automaticRepairsPolicy: {
      enabled: enableAutomaticRepairs
      gracePeriod: 'PT60M'
    }
    virtualMachineProfile: {
      priority: useSpot ? 'Spot' : 'Regular'
      evictionPolicy: useSpot ? 'Delete' : null
      billingProfile: useSpot
        ? {
            maxPrice: -1
          }
        : null
      osProfile: {
        computerNamePrefix: take('${namePrefix}silo', 9)
        adminUsername: adminUsername
        customData: base64(cloudInit)
        linuxConfiguration: {
          disablePasswordAuthentication: true
          provisionVMAgent: true
          ssh: {
            publicKeys: [
              {
                path: '/home/${adminUsername}/.ssh/authorized_keys'
                keyData: adminSshPublicKey
              }
            ]
          }
        }
      }
      storageProfile: {
        imageReference: {
          publisher: 'Canonical'
          offer: 'ubuntu-24_04-lts'
          sku: 'server'
          version: 'latest'
        }
        osDisk: {
          createOption: 'FromImage'
          caching: 'ReadWrite'
          diskSizeGB: osDiskSizeGB
          managedDisk: {
            storageAccountType: 'Premium_LRS'
          }
        }
      }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'silo-nic'
            properties: {
              primary: true
              enableAcceleratedNetworking: true
              ipConfigurations: [
                {
                  name: 'silo-ip'
                  properties: {
                    primary: true
                    subnet: {
                      id: subnetId
                    }
                  }
                }
              ]
            }
          }
        ]
      }
      scheduledEventsProfile: {
        // Scale-in and eviction wait up to 5 minutes for sana-terminate-watch to stop the silo (chunks handed back).
        terminateNotificationProfile: {
          enable: true
          notBeforeTimeout: 'PT5M'
        }
      }
      extensionProfile: {
        extensions: [
          {
            name: 'silo-health'
            properties: {
              publisher: 'Microsoft.ManagedServices'
              type: 'ApplicationHealthLinux'
              typeHandlerVersion: '2.0'
              autoUpgradeMinorVersion: true
              settings: {
                protocol: 'http'
                port: httpPort
                requestPath: '/health'
                intervalInSeconds: 30
                numberOfProbes: 3
              }
            }
          }
        ]
      }
    }
  }
}

output vmssId string = vmss.id
output vmssName string = vmss.name
output principalId string = vmss.identity.principalId
